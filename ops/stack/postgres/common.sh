# shellcheck shell=bash
# shellcheck disable=SC2034  # PG_SOCK_DIR is used by the scripts that source this file
# PostgreSQL settings shared by init.sh, run.sh and ready.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
export PGDATA="$DATA_DIR/postgres"
PG_SOCK_DIR="$RUN_DIR/pg"
pg_bin() { need_bin "$1" postgresql_17 postgresql; }
