#!/usr/bin/env bash
# Grafana on 127.0.0.1:$GRAFANA_PORT with grafana.ini, which reads the $__env{...} variables below;
# state (sqlite db, logs, plugins) under $DATA_DIR/grafana. Its home (conf/, public/) sits next
# to the binary: <package>/share/grafana in nixpkgs, /usr/share/grafana in Grafana's packages.
set -euo pipefail
prefix="$(dirname "$(dirname "$(readlink -f "$SERVICE_BIN")")")"
for home in "${GRAFANA_HOME:-}" "$prefix/share/grafana" "$prefix" /usr/share/grafana; do
  [ -n "$home" ] && [ -d "$home/conf" ] && [ -d "$home/public" ] && break
done
[ -d "$home/public" ] || { echo "cannot find Grafana's home (conf/, public/) near $SERVICE_BIN: set GRAFANA_HOME" >&2; exit 1; }
state="$DATA_DIR/grafana"
mkdir -p "$state/data" "$state/logs" "$state/plugins"
export GRAFANA_DATA_DIR="$state/data" GRAFANA_LOGS_DIR="$state/logs" GRAFANA_PLUGINS_DIR="$state/plugins"
export GRAFANA_PROVISIONING_DIR="$STACK_DIR/grafana/provisioning" GRAFANA_DASHBOARDS_DIR="$STACK_DIR/grafana/dashboards"
# In a GitHub Codespace, links and redirects use the forwarded URL, https://<codespace>-<port>.<domain>/.
if [ -n "${CODESPACE_NAME:-}" ] && [ -n "${GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN:-}" ]; then
  GRAFANA_ROOT_URL="https://${CODESPACE_NAME}-${GRAFANA_PORT}.${GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN}/"
fi
export GRAFANA_ROOT_URL="${GRAFANA_ROOT_URL:-http://127.0.0.1:${GRAFANA_PORT}/}"
# grafana-server is the older name of `grafana server`.
server=(); [ "$(basename "$SERVICE_BIN")" = grafana ] && server=(server)
exec "$SERVICE_BIN" "${server[@]}" --homepath "$home" --config "$STACK_DIR/grafana/grafana.ini"
