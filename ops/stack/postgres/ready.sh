#!/usr/bin/env bash
# Readiness probe: the server accepts connections on 127.0.0.1:$PG_PORT.
source "$(dirname "$0")/common.sh"
exec "$(pg_bin pg_isready)" -q -h 127.0.0.1 -p "$PG_PORT" -d "$PG_DB" -t 3
