#!/usr/bin/env bash
# nginx on 127.0.0.1:$LB_PORT in front of api (API_PORT) and api-2 (API2_PORT), for
# `just up-pair`. Renders ops/nginx/nginx.conf into .data/nginx/, checks it, then runs nginx
# in the foreground (process-compose supervises it) as the service user.
export SERVICE_NAME=lb
source "$(dirname "$0")/../lib.sh"
NGINX="$(need_bin nginx nginx nginx)"
ensure_service_user
mkdir -p "$DATA_DIR" "$LOG_DIR"; check_reachable "$DATA_DIR"
dir="$DATA_DIR/nginx"
mkdir -p "$dir/tmp"
own_dir "$dir" 755   # recursive
chmod 700 "$dir/tmp"
own_file "$LOG_DIR/lb-access.log"
port_free "$LB_PORT" lb
cfg="$dir/nginx.conf"
sed -e "s#@LB_PORT@#${LB_PORT}#g" \
    -e "s#@API_PORT@#${API_PORT}#g" \
    -e "s#@API2_PORT@#${API2_PORT}#g" \
    -e "s#@NGINX_DIR@#${dir}#g" \
    -e "s#@LOG_DIR@#${LOG_DIR}#g" \
    "$OPS_DIR/nginx/nginx.conf" >"$cfg.tmp"
mv "$cfg.tmp" "$cfg"; chmod 644 "$cfg"
# -e stderr: nginx opens its compiled-in error log (/var/log/nginx) before reading the config.
as_service_user "$NGINX" -t -q -e stderr -p "$dir/" -c "$cfg" || die "invalid config $cfg"
exec_as_service_user "$NGINX" -e stderr -p "$dir/" -c "$cfg" -g "daemon off;"
