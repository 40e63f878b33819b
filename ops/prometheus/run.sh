#!/usr/bin/env bash
# Prometheus on 127.0.0.1:$PROMETHEUS_PORT. Renders ops/prometheus/prometheus.yml
# with the real ports and absolute rule paths into .data/prometheus/.
export SERVICE_NAME=prometheus
source "$(dirname "$0")/../lib.sh"
PROMETHEUS="$(need_bin prometheus prometheus prometheus)"
ensure_service_user
mkdir -p "$DATA_DIR"; check_reachable "$DATA_DIR"
mkdir -p "$DATA_DIR/prometheus/data"
own_dir "$DATA_DIR/prometheus" 755   # recursive: one walk of the TSDB per start
chmod 700 "$DATA_DIR/prometheus/data"
port_free "$PROMETHEUS_PORT" prometheus
cfg="$DATA_DIR/prometheus/prometheus.yml"
# The api job's targets, comma-separated: one per API instance (`just up-pair` sets two), each
# its own series (label instance), which the dashboard and the rules sum.
api_targets="${PROMETHEUS_API_TARGETS:-127.0.0.1:${API_PORT}}"
sed -e "s#\"127\.0\.0\.1:8000\"#\"${api_targets//,/\", \"}\"#" \
    -e "s#127\.0\.0\.1:9090#127.0.0.1:${PROMETHEUS_PORT}#" \
    -e "s#^\(\s*-\s*\)rules/#\1${OPS_DIR}/prometheus/rules/#" \
    "$OPS_DIR/prometheus/prometheus.yml" >"$cfg.tmp"
mv "$cfg.tmp" "$cfg"; chmod 644 "$cfg"
# promtool ships beside prometheus (Debian's package; nixpkgs' prometheus.cli): no silent skip.
PROMTOOL="$(need_bin promtool prometheus.cli prometheus)"
"$PROMTOOL" check config "$cfg" >/dev/null || { "$PROMTOOL" check config "$cfg"; die "invalid config"; }
exec_as_service_user "$PROMETHEUS" \
  --config.file="$cfg" \
  --storage.tsdb.path="$DATA_DIR/prometheus/data" \
  --storage.tsdb.retention.time="${PROMETHEUS_RETENTION:-15d}" \
  --web.listen-address="127.0.0.1:${PROMETHEUS_PORT}" \
  --web.enable-lifecycle
