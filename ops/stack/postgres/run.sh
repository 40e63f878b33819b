#!/usr/bin/env bash
# PostgreSQL on 127.0.0.1:$PG_PORT, its socket in the short $RUN_DIR/postgres. The driver (ops/stack)
# sets the environment; it stops the server with SIGINT, a fast shutdown ("smart" SIGTERM would
# wait for Django's persistent connections).
set -euo pipefail
exec "$SERVICE_BIN" -D "$DATA_DIR/postgres" -c listen_addresses=127.0.0.1 -p "$PG_PORT" -k "$RUN_DIR/postgres" \
  -c log_line_prefix='%m [%p] ' -c log_connections=off
