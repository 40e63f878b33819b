"""The lock check on copies of flake.nix and flake.lock: consistent as committed, and each drift found."""

import json
import shutil
from pathlib import Path

import pytest

from ops.evidence.tests.helpers import require_tool

from ..files import NIX_HOW, REPO, lock_consistent


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    require_tool("nix-instantiate", NIX_HOW)
    for name in ("flake.nix", "flake.lock"):
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path


def edit_lock(repo: Path, **locked: object) -> None:
    lock = json.loads((repo / "flake.lock").read_text())
    lock["nodes"]["nixpkgs"]["locked"].update(locked)
    (repo / "flake.lock").write_text(json.dumps(lock))


def test_the_committed_lock_matches_the_flake(repo: Path) -> None:
    assert lock_consistent(repo) == []


def test_a_branch_change_in_the_flake_needs_a_new_lock(repo: Path) -> None:
    flake = repo / "flake.nix"
    url = json.loads((repo / "flake.lock").read_text())["nodes"]["nixpkgs"]["original"]["ref"]
    flake.write_text(flake.read_text().replace(f"nixpkgs/{url}", "nixpkgs/nixos-unstable"))

    assert any("flake.nix asks for github:NixOS/nixpkgs/nixos-unstable" in problem for problem in lock_consistent(repo))


@pytest.mark.parametrize(
    ("locked", "reported"),
    [
        ({"rev": "5880666f"}, "is not a full commit hash"),
        ({"narHash": "sha256-short"}, "is not a sha256 SRI hash"),
        ({"owner": "someone-else"}, "locked source"),
    ],
)
def test_a_malformed_or_foreign_lock_is_reported(repo: Path, locked: dict[str, object], reported: str) -> None:
    edit_lock(repo, **locked)

    assert any(reported in problem for problem in lock_consistent(repo))
