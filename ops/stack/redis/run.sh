#!/usr/bin/env bash
# Redis on 127.0.0.1:$REDIS_PORT, RDB snapshots in $DATA_DIR/redis (saved on SIGTERM). Clients need
# REDIS_PASSWORD (generated into .data/secrets.env): given on stdin ("-"), never on the command line.
set -euo pipefail
exec "$SERVICE_BIN" - --port "$REDIS_PORT" --dir "$DATA_DIR/redis" \
  <<<"include $STACK_DIR/redis/redis.conf
requirepass $REDIS_PASSWORD"
