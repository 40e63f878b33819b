#!/usr/bin/env bash
# Redis on 127.0.0.1:$REDIS_PORT, RDB snapshots in $DATA_DIR/redis (saved on SIGTERM).
set -euo pipefail
exec "$SERVICE_BIN" "$STACK_DIR/redis/redis.conf" --port "$REDIS_PORT" --dir "$DATA_DIR/redis"
