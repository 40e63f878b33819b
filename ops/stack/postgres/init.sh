#!/usr/bin/env bash
# One-shot: create the cluster if missing (initdb), then make sure the app
# role (with CREATEDB, for the test database) and database exist and the role's
# password matches PG_PASSWORD. The role/db step runs a temporary server on the
# unix socket only, and is skipped when nothing changed since the last run.
export SERVICE_NAME=postgres-init
source "$(dirname "$0")/common.sh"
: "${PG_PASSWORD:?PG_PASSWORD is not set: start the stack with 'just up' (it creates .data/secrets.env)}"

INITDB="$(pg_bin initdb)"; PG_CTL="$(pg_bin pg_ctl)"; PSQL="$(pg_bin psql)"
ensure_service_user
mkdir -p "$DATA_DIR" "$LOG_DIR"
check_reachable "$DATA_DIR"
own_dir "$PGDATA" 700
ensure_sock_dir pg

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  log "initialising a new cluster in $PGDATA"
  as_service_user "$INITDB" -D "$PGDATA" --encoding=UTF8 --locale=C \
    --auth-local=peer --auth-host=scram-sha-256 >/dev/null
fi

stamp=("$PGDATA/.workspace-init" "$PG_USER" "$PG_DB" "$PG_PASSWORD")
if stamp_current "${stamp[@]}"; then
  log "role '$PG_USER' and database '$PG_DB' already set up"
  exit 0
fi

own_file "$LOG_DIR/postgres-init-server.log"
log "creating/updating role '$PG_USER' and database '$PG_DB'"
# Temporary server: no TCP (listen_addresses=''), socket in a short private dir.
as_service_user "$PG_CTL" -D "$PGDATA" -w -t 60 -l "$LOG_DIR/postgres-init-server.log" \
  -o "-c listen_addresses='' -k $PG_SOCK_DIR -p $PG_PORT" start >/dev/null
trap 'as_service_user "$PG_CTL" -D "$PGDATA" -m fast -w stop >/dev/null || true' EXIT

as_service_user "$PSQL" -X -q -h "$PG_SOCK_DIR" -p "$PG_PORT" -d postgres -v ON_ERROR_STOP=1 \
  -v user="$PG_USER" -v pass="$PG_PASSWORD" -v db="$PG_DB" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'user') \gexec
ALTER ROLE :"user" WITH LOGIN CREATEDB PASSWORD :'pass';
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8'' TEMPLATE template0', :'db', :'user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL

stamp_write "${stamp[@]}"
log "done"
