#!/usr/bin/env bash
# Builds process-compose from its Go module for hosts without Nix (the flake provides it otherwise):
# about 3 minutes of compiling.
# `go install` refuses the module because its go.mod has replace directives, so: download, then build.
#   ops/stack/install-process-compose.sh [BINDIR]   (default ~/.local/bin)
set -euo pipefail
version=v1.87.0 # the newest the Go module proxy serves; keep near nixpkgs' release
bindir=${1:-$HOME/.local/bin}
if [[ $(process-compose version --short 2>/dev/null) == "$version" ]]; then
  echo "process-compose $version already on PATH"
  exit 0
fi
command -v go >/dev/null || { echo "process-compose: needs Go (https://go.dev/dl/) or Nix" >&2; exit 1; }
# Its go.mod asks for Go 1.24: Go 1.21+ fetches that toolchain itself unless GOTOOLCHAIN=local;
# older ones (Debian 12's 1.19) can't.
go_minor=0
[[ $(go env GOVERSION) =~ go1\.([0-9]+) ]] && go_minor=${BASH_REMATCH[1]}
if ((go_minor < 24)) && { ((go_minor < 21)) || [[ $(go env GOTOOLCHAIN) == local ]]; }; then
  echo "process-compose: $(go env GOVERSION) can't build it: needs Go >= 1.24, or >= 1.21 with GOTOOLCHAIN=auto" \
    "(https://go.dev/dl/), or Nix" >&2
  exit 1
fi
module=github.com/f1bonacc1/process-compose
echo "process-compose $version: compiling from its Go module, about 3 minutes" >&2
GOFLAGS=-mod=mod go mod download "$module@$version"
source_dir="$(go env GOMODCACHE)/$module@$version"
mkdir -p "$bindir"
(cd "$source_dir" && GOFLAGS=-mod=mod go build -trimpath \
  -ldflags "-s -w -X $module/src/config.Version=$version" -o "$bindir/process-compose" .)
echo "process-compose $version -> $bindir/process-compose"
