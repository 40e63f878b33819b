"""A workspace check missing its tool: fails under CI=true naming it, unless CI_WITHOUT lists it; skips elsewhere."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def flake_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m ops.workspace flake` with a PATH holding no nix-instantiate."""
    environment = {k: v for k, v in os.environ.items() if k not in ("CI", "CI_WITHOUT")}
    return subprocess.run(
        [sys.executable, "-m", "ops.workspace", "flake"],
        cwd=REPO,
        env={**environment, "PATH": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_fails_under_ci_naming_the_tool(tmp_path: Path) -> None:
    result = flake_check(tmp_path, CI="true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAIL flake.nix parses: nix-instantiate not found" in result.stdout


@pytest.mark.parametrize("env", [{}, {"CI": "true", "CI_WITHOUT": "grafana nix-instantiate"}])
def test_skips_with_how_to_get_it_outside_ci_or_when_ci_declares_it_absent(tmp_path: Path, env: dict[str, str]) -> None:
    result = flake_check(tmp_path, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skip flake.nix parses: nix-instantiate not found" in result.stdout
    assert "nix" in result.stdout.split("not found:", 1)[1]
