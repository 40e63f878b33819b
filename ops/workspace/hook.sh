#!/usr/bin/env bash
# Runs one git hook's tool (see .pre-commit-config.yaml) from .venv/bin or PATH on the files pre-commit
# passes. A tool that isn't installed fails the hook under CI=true, naming it; elsewhere the hook is
# skipped with a line saying how to get it, so a machine without, say, nixfmt can still commit.
#   ops/workspace/hook.sh TOOL HOW-TO-GET-IT [ARGS...] [FILES...]
set -euo pipefail
tool=$1 how=$2
shift 2
if [[ -x .venv/bin/$tool ]]; then
  exec ".venv/bin/$tool" "$@"
elif command -v "$tool" >/dev/null; then
  exec "$tool" "$@"
elif [[ ${CI:-} == true ]]; then
  echo "$tool is not installed: $how" >&2
  exit 1
fi
echo "skipped: $tool is not installed ($how)"
