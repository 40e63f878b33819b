#!/usr/bin/env bash
# Grafana on 127.0.0.1:$GRAFANA_PORT with ops/grafana/grafana.ini; state
# (sqlite db, logs, plugins) under .data/grafana/. The home path (conf/,
# public/) is derived from the binary: nixpkgs keeps it in
# <pkg>/share/grafana, Debian/upstream packages in /usr/share/grafana.
export SERVICE_NAME=grafana
source "$(dirname "$0")/../lib.sh"
: "${GRAFANA_ADMIN_PASSWORD:?GRAFANA_ADMIN_PASSWORD is not set: start the stack with 'just up'}"
GRAFANA_BIN="$(need_bin grafana grafana grafana grafana-server)"

grafana_home() {
  local real prefix cand
  real="$(readlink -f "$GRAFANA_BIN")"
  prefix="$(dirname "$(dirname "$real")")"
  for cand in "${GRAFANA_HOME:-}" "$prefix/share/grafana" "$prefix" /usr/share/grafana; do
    [ -n "$cand" ] && [ -d "$cand/conf" ] && [ -d "$cand/public" ] && { echo "$cand"; return 0; }
  done
  return 1
}
HOMEPATH="$(grafana_home)" || die "cannot find Grafana's home (conf/ and public/) next to $GRAFANA_BIN; set GRAFANA_HOME"

ensure_service_user
mkdir -p "$DATA_DIR"; check_reachable "$DATA_DIR"
mkdir -p "$DATA_DIR"/grafana/{data,logs,plugins}
own_dir "$DATA_DIR/grafana" 700   # recursive: one walk of the tree per start
chmod 700 "$DATA_DIR"/grafana/{data,logs,plugins}
port_free "$GRAFANA_PORT" grafana

export GRAFANA_DATA_DIR="$DATA_DIR/grafana/data"
export GRAFANA_LOGS_DIR="$DATA_DIR/grafana/logs"
export GRAFANA_PLUGINS_DIR="$DATA_DIR/grafana/plugins"
export GRAFANA_PROVISIONING_DIR="$OPS_DIR/grafana/provisioning"
export GRAFANA_DASHBOARDS_DIR="$OPS_DIR/grafana/dashboards"
# In a GitHub Codespace, links and redirects use the forwarded URL, https://<codespace>-<port>.<domain>/.
if [ -n "${CODESPACE_NAME:-}" ] && [ -n "${GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN:-}" ]; then
  GRAFANA_ROOT_URL="https://${CODESPACE_NAME}-${GRAFANA_PORT}.${GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN}/"
fi
GRAFANA_ROOT_URL="${GRAFANA_ROOT_URL:-http://127.0.0.1:${GRAFANA_PORT}/}"
export GRAFANA_PORT PROMETHEUS_PORT GRAFANA_ADMIN_USER GRAFANA_ADMIN_PASSWORD GRAFANA_ROOT_URL
# grafana.ini reads these through $__env{...}; keep GF_* overrides from the user.

log "home path $HOMEPATH"
if [ "$(basename "$GRAFANA_BIN")" = grafana ]; then
  exec_as_service_user "$GRAFANA_BIN" server --homepath "$HOMEPATH" --config "$OPS_DIR/grafana/grafana.ini"
else
  exec_as_service_user "$GRAFANA_BIN" --homepath "$HOMEPATH" --config "$OPS_DIR/grafana/grafana.ini"
fi
