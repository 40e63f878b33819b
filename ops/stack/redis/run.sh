#!/usr/bin/env bash
# Redis on 127.0.0.1:$REDIS_PORT, RDB snapshots in .data/redis (saved on SIGTERM).
export SERVICE_NAME=redis
source "$(dirname "$0")/../lib.sh"
REDIS_SERVER="$(need_bin redis-server redis redis-server)"
ensure_service_user
mkdir -p "$DATA_DIR"; check_reachable "$DATA_DIR"
own_dir "$DATA_DIR/redis" 700
port_free "$REDIS_PORT" redis
exec_as_service_user "$REDIS_SERVER" "$OPS_DIR/redis/redis.conf" \
  --port "$REDIS_PORT" --dir "$DATA_DIR/redis"
