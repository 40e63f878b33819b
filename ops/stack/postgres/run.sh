#!/usr/bin/env bash
# PostgreSQL server on 127.0.0.1:$PG_PORT (unix socket in a short dir).
# Stop it with SIGINT (fast shutdown); SIGTERM ("smart") would wait for
# Django's persistent connections.
export SERVICE_NAME=postgres
source "$(dirname "$0")/common.sh"
POSTGRES="$(pg_bin postgres)"
ensure_service_user
[ -s "$PGDATA/PG_VERSION" ] || die "no cluster in $PGDATA: postgres-init has not run"
port_free "$PG_PORT" postgres
ensure_sock_dir pg
exec_as_service_user "$POSTGRES" -D "$PGDATA" \
  -c listen_addresses=127.0.0.1 -p "$PG_PORT" -k "$PG_SOCK_DIR" \
  -c log_line_prefix='%m [%p] ' -c log_connections=off
