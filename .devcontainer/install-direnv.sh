#!/usr/bin/env bash
# direnv with nix-direnv (a cached `use flake`), both from the flake's pinned nixpkgs, hooked into bash
# and zsh, and this checkout allowed: a new terminal opens inside the dev shell with no command typed.
# shellcheck disable=SC2016  # the lines written below are for the shells and direnv to expand
set -euo pipefail
nix profile install --inputs-from . nixpkgs#direnv nixpkgs#nix-direnv
mkdir -p "$HOME/.config/direnv"
echo 'source "$HOME/.nix-profile/share/nix-direnv/direnvrc"' >"$HOME/.config/direnv/direnvrc"
grep -qs 'direnv hook bash' "$HOME/.bashrc" || echo 'eval "$(direnv hook bash)"' >>"$HOME/.bashrc"
grep -qs 'direnv hook zsh' "$HOME/.zshrc" || echo 'eval "$(direnv hook zsh)"' >>"$HOME/.zshrc"
"$HOME/.nix-profile/bin/direnv" allow .
