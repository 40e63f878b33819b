#!/usr/bin/env bash
# Static checks of the Nix workspace files (flake, lock, direnv, devcontainer, CI workflow).
# Runs from anywhere (it cd's to the repository root) on a bare Debian 12 machine, as root;
# needs python3 and Go, and the project's venv (.venv) for check-jsonschema.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

ACTIONLINT_VERSION=v1.7.12
DEVCONTAINER_SCHEMA=../shared/schemas/devContainer.base.schema.json
WORKFLOW=.github/workflows/ci.yml
CHECK_JSONSCHEMA=.venv/bin/check-jsonschema

ok() { printf 'ok   %s\n' "$*"; }
die() {
  printf 'FAIL %s\n' "$*" >&2
  exit 1
}

# 1. flake.nix parses (Debian's nix-bin gives nix-instantiate; no evaluation or build here).
if ! command -v nix-instantiate >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq nix-bin >/dev/null
fi
nix-instantiate --parse flake.nix >/dev/null || die "flake.nix does not parse"
ok "flake.nix parses"

# 2. flake.lock is valid JSON and pins nixpkgs exactly; flake.nix asks for the same branch.
url=$(nix-instantiate --eval --json -E '(import ./flake.nix).inputs.nixpkgs.url')
python3 - "$url" <<'PY' || die "flake.lock does not match the expected nixpkgs pin"
import json, sys

want_url = json.loads(sys.argv[1])
with open("flake.lock") as f:
    lock = json.load(f)
expected = {
    "nodes": {
        "nixpkgs": {
            "locked": {
                "lastModified": 1787204541,
                "narHash": "sha256-OURZPknrTjQrlNyxPdqzyqmU/81Wes1CUP/Ft1Rv/YI=",
                "owner": "NixOS",
                "repo": "nixpkgs",
                "rev": "5880666fd9eb563038431edb35c2d0aa595884e6",
                "type": "github",
            },
            "original": {
                "owner": "NixOS",
                "ref": "nixos-26.05",
                "repo": "nixpkgs",
                "type": "github",
            },
        },
        "root": {"inputs": {"nixpkgs": "nixpkgs"}},
    },
    "root": "root",
    "version": 7,
}
if lock != expected:
    sys.exit("flake.lock differs from the expected pin")
if want_url != "github:NixOS/nixpkgs/nixos-26.05":
    sys.exit(f"flake.nix input is {want_url!r}, flake.lock is for nixos-26.05")
PY
ok "flake.lock pins nixpkgs 5880666f (nixos-26.05)"

# 3. .envrc
[ "$(cat .envrc)" = "use flake" ] || die ".envrc should contain exactly 'use flake'"
ok ".envrc uses the flake"

# 4. devcontainer.json against the Dev Container spec's schema (offline).
[ -x "$CHECK_JSONSCHEMA" ] || die "$CHECK_JSONSCHEMA missing: install the dev dependencies (poetry install) first"
[ -f "$DEVCONTAINER_SCHEMA" ] || die "schema $DEVCONTAINER_SCHEMA not found (shared/ beside the repository)"
"$CHECK_JSONSCHEMA" --schemafile "$DEVCONTAINER_SCHEMA" .devcontainer/devcontainer.json >/dev/null ||
  die ".devcontainer/devcontainer.json does not validate"
ok ".devcontainer/devcontainer.json matches the devcontainer schema"

# 5. The workflow: actionlint (built from its Go module unless already on PATH) and the
#    workflow schema bundled with check-jsonschema.
if command -v actionlint >/dev/null 2>&1; then
  actionlint=$(command -v actionlint)
else
  gobin="${TMPDIR:-/tmp}/actionlint-$ACTIONLINT_VERSION"
  actionlint="$gobin/actionlint"
  if [ ! -x "$actionlint" ]; then
    command -v go >/dev/null 2>&1 || die "go is needed to build actionlint"
    GOBIN="$gobin" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" ||
      die "could not build actionlint $ACTIONLINT_VERSION"
  fi
fi
"$actionlint" "$WORKFLOW" || die "actionlint found problems in $WORKFLOW"
ok "actionlint $("$actionlint" -version | head -n1): $WORKFLOW is clean"

"$CHECK_JSONSCHEMA" --builtin-schema vendor.github-workflows "$WORKFLOW" >/dev/null ||
  die "$WORKFLOW does not match the GitHub workflow schema"
ok "$WORKFLOW matches the GitHub workflow schema"
