"""Static checks of the workspace files: flake.nix and flake.lock, .envrc, the devcontainer, the workflow.

Nothing here builds or evaluates nixpkgs (no binary cache on every machine): flake.nix is parsed,
and the lock is checked for consistency with flake.nix, so updating the lock needs no edit here.
"""

import json
import os
import re
import subprocess
from pathlib import Path

from ops.required_tools import require_tool

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
DEVCONTAINER = REPO / ".devcontainer" / "devcontainer.json"
# The Dev Container spec's schema; DEVCONTAINER_SCHEMA may name another file or a URL.
DEVCONTAINER_SCHEMA = os.environ.get(
    "DEVCONTAINER_SCHEMA", str(REPO / "ops" / "workspace" / "schemas" / "devContainer.base.schema.json")
)
NIX_HOW = "apt-get install nix-bin, or any Nix installation"
ACTIONLINT_HOW = (
    "build it from its Go module github.com/rhysd/actionlint/cmd/actionlint (.ci/run does), or `nix develop`"
)
GITHUB_URL = re.compile(r"^github:(?P<owner>[^/]+)/(?P<repo>[^/?]+)(?:/(?P<ref>[^?]+))?$")
REV = re.compile(r"^[0-9a-f]{40}$")
SHA256_SRI = re.compile(r"^sha256-[A-Za-z0-9+/]{43}=$")  # 32 bytes in base64


def run(*command: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def flake_parses() -> list[str]:
    parse = run(require_tool("nix-instantiate", NIX_HOW), "--parse", "flake.nix")
    return [] if parse.returncode == 0 else [f"flake.nix does not parse: {parse.stderr.strip()}"]


def flake_input_urls(repo: Path) -> dict[str, str]:
    """Each input of flake.nix and its url, read by Nix itself (no evaluation of the outputs)."""
    expr = "builtins.mapAttrs (name: input: input.url) (import ./flake.nix).inputs"
    nix = require_tool("nix-instantiate", NIX_HOW)
    evaluated = run(nix, "--eval", "--strict", "--json", "--expr", expr, cwd=repo)
    if evaluated.returncode != 0:
        raise ValueError(f"flake.nix inputs: {evaluated.stderr.strip()}")
    urls: dict[str, str] = json.loads(evaluated.stdout)
    return urls


def locked_input_problems(name: str, url: str, node: dict[str, dict[str, object]]) -> list[str]:
    """A github: input is locked to the repository and branch flake.nix names, at a full revision."""
    match = GITHUB_URL.match(url)
    if match is None:
        return [f"input {name}: only github: urls are checked, not {url!r}"]
    wanted = {"type": "github", "owner": match["owner"], "repo": match["repo"]}
    if match["ref"]:
        wanted["ref"] = match["ref"]
    found = []
    if node.get("original") != wanted:
        found.append(f"input {name}: flake.lock was made for {node.get('original')}, flake.nix asks for {url}")
    locked = node.get("locked", {})
    if {key: locked.get(key) for key in ("type", "owner", "repo")} != {k: wanted[k] for k in ("type", "owner", "repo")}:
        found.append(f"input {name}: locked source {locked} is not {url}")
    if not REV.match(str(locked.get("rev", ""))):
        found.append(f"input {name}: locked rev {locked.get('rev')!r} is not a full commit hash")
    if not SHA256_SRI.match(str(locked.get("narHash", ""))):
        found.append(f"input {name}: narHash {locked.get('narHash')!r} is not a sha256 SRI hash")
    if not isinstance(locked.get("lastModified"), int):
        found.append(f"input {name}: lastModified missing")
    return found


def lock_consistent(repo: Path = REPO) -> list[str]:
    """flake.lock locks exactly the inputs flake.nix declares, each from the source it names."""
    lock = json.loads((repo / "flake.lock").read_text())
    nodes = lock["nodes"]
    root_inputs: dict[str, str] = nodes[lock["root"]]["inputs"]
    urls = flake_input_urls(repo)
    found = []
    if lock.get("version") != 7:
        found.append(f"flake.lock version {lock.get('version')}, expected 7")
    if set(root_inputs) != set(urls):
        found.append(f"flake.lock locks {sorted(root_inputs)}, flake.nix declares {sorted(urls)}")
    for name in sorted(set(root_inputs) & set(urls)):
        found += locked_input_problems(name, urls[name], nodes[root_inputs[name]])
    return found


def envrc_uses_flake() -> list[str]:
    text = (REPO / ".envrc").read_text().strip()
    return [] if text == "use flake" else [f".envrc is {text!r}, expected 'use flake'"]


def validates(venv: Path, *schema_args: str, document: Path) -> list[str]:
    """check-jsonschema (a dev dependency in .venv) on one document."""
    checker = venv / "bin" / "check-jsonschema"
    if not checker.exists():
        return [f"{checker} missing: run `just setup` first"]
    result = run(str(checker), *schema_args, str(document))
    return [] if result.returncode == 0 else [f"{document.name}: {result.stdout.strip()} {result.stderr.strip()}"]


def devcontainer_valid(venv: Path) -> list[str]:
    if "://" not in DEVCONTAINER_SCHEMA and not Path(DEVCONTAINER_SCHEMA).exists():
        return [f"devcontainer schema {DEVCONTAINER_SCHEMA} not found: set DEVCONTAINER_SCHEMA"]
    return validates(venv, "--schemafile", DEVCONTAINER_SCHEMA, document=DEVCONTAINER)


def workflow_valid(venv: Path) -> list[str]:
    lint = run(require_tool("actionlint", ACTIONLINT_HOW), str(WORKFLOW))
    found = [] if lint.returncode == 0 else [f"actionlint: {lint.stdout.strip()}"]
    return found + validates(venv, "--builtin-schema", "vendor.github-workflows", document=WORKFLOW)
