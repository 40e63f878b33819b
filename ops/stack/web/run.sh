#!/usr/bin/env bash
# The API: gunicorn with backend/gunicorn.conf.py (binds API_HOST:API_PORT,
# WEB_CONCURRENCY workers, multiprocess metrics in PROMETHEUS_MULTIPROC_DIR,
# which gunicorn.conf.py empties on start).
export SERVICE_NAME="${API_INSTANCE:-api}"
source "$(dirname "$0")/env.sh"
ensure_service_user
mkdir -p "$DATA_DIR"; check_reachable "$ROOT_DIR/backend"; check_reachable "$VENV/bin"
own_dir "$DATA_DIR/$API_INSTANCE" 755
ensure_sock_dir "$API_INSTANCE" 700
export SERVICE_HOME="$RUN_DIR/$API_INSTANCE"   # short: gunicorn puts its control socket under $HOME
port_free "$API_PORT" "$API_INSTANCE"
cd "$ROOT_DIR/backend" || exit 1
# A venv made from an interpreter in a private home (pyenv under /root, say)
# cannot run as the service user: then run as the invoking user, and say so.
real_python="$(readlink -f "$VENV/bin/python")"
if is_root && ! as_service_user test -r "$real_python"; then
  log "warning: '$SERVICE_USER' cannot read the venv's interpreter $real_python; running the API as $(id -un)"
  HOME="$SERVICE_HOME" exec "$VENV/bin/gunicorn" config.wsgi
fi
exec_as_service_user "$VENV/bin/gunicorn" config.wsgi
