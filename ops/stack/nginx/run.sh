#!/usr/bin/env bash
# nginx on 127.0.0.1:$LB_PORT in front of api and api-2 (`just up-pair`), in the foreground, with
# the copy of nginx.conf the driver rendered. -e stderr: nginx opens its compiled-in error log
# (/var/log/nginx) before reading the config.
set -euo pipefail
dir="$DATA_DIR/lb"
mkdir -p "$dir/tmp"
"$SERVICE_BIN" -t -q -e stderr -p "$dir/" -c "$dir/nginx.conf"
exec "$SERVICE_BIN" -e stderr -p "$dir/" -c "$dir/nginx.conf" -g "daemon off;"
