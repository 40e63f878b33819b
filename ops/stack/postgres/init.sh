#!/usr/bin/env bash
# One-shot before PostgreSQL: create the cluster if missing (initdb), then make sure the app role
# (with CREATEDB, for the test database) and database exist and the role's password is PG_PASSWORD,
# on a temporary server listening on the unix socket only. The driver skips this step when
# INIT_STAMP (a hash of those settings) matches the one written at the end of the last run.
set -euo pipefail
export PGDATA="$DATA_DIR/postgres"
socket_dir="$RUN_DIR/postgres"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "initialising a new cluster in $PGDATA"
  # --no-sync: an empty cluster isn't worth fsync's seconds (after a crash in them, `just clean`).
  initdb -D "$PGDATA" --encoding=UTF8 --locale=C --auth-local=peer --auth-host=scram-sha-256 --no-sync >/dev/null
fi
echo "creating/updating role '$PG_USER' and database '$PG_DB'"
pg_ctl -D "$PGDATA" -w -t 60 -l "$LOG_DIR/postgres-init-server.log" \
  -o "-c listen_addresses='' -k $socket_dir -p $PG_PORT" start >/dev/null
trap 'pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null' EXIT
psql -X -q -h "$socket_dir" -p "$PG_PORT" -d postgres -v ON_ERROR_STOP=1 \
  -v user="$PG_USER" -v pass="$PG_PASSWORD" -v db="$PG_DB" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'user') \gexec
ALTER ROLE :"user" WITH LOGIN CREATEDB PASSWORD :'pass';
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8'' TEMPLATE template0', :'db', :'user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
(umask 077; echo "$INIT_STAMP" >"$INIT_STAMP_FILE")
