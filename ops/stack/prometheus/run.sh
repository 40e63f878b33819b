#!/usr/bin/env bash
# Prometheus on 127.0.0.1:$PROMETHEUS_PORT, with the copy of prometheus.yml the driver rendered
# (real ports, one api target per API instance, absolute rule paths).
set -euo pipefail
dir="$DATA_DIR/prometheus"
promtool check config "$dir/prometheus.yml"
exec "$SERVICE_BIN" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
  --storage.tsdb.retention.time="${PROMETHEUS_RETENTION:-15d}" \
  --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle
