# shellcheck shell=bash
# Environment of the API inside the stack (sourced by migrate.sh, run.sh and
# `ops/stack.sh test`). The stack always points Django at its own services,
# whatever DB_* a local .env holds for `just run`.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

api_db_env() { # postgres|mysql
  case "$1" in
    postgres)
      export DB_ENGINE=postgres DB_NAME="$PG_DB" DB_USER="$PG_USER" DB_PASS="${PG_PASSWORD:-}" \
        DB_HOST=127.0.0.1 DB_PORT="$PG_PORT" ;;
    mysql)
      export DB_ENGINE=mysql DB_NAME="$MYSQL_DATABASE" DB_USER="$MYSQL_USER" DB_PASS="${MYSQL_PASSWORD:-}" \
        DB_HOST=127.0.0.1 DB_PORT="$MYSQL_PORT" ;;
    *) die "unknown database '$1' (postgres or mysql)" ;;
  esac
}

api_db_env "${STACK_DB_ENGINE:-postgres}"
export REDIS_URL="redis://127.0.0.1:${REDIS_PORT}/0"
export DJANGO_ENV="${DJANGO_ENV:-development}"
export API_HOST=127.0.0.1 API_PORT
export SECRET_KEY="${SECRET_KEY:-}"
# One gunicorn master per instance (`just up-pair` adds api-2): each gets its own state dir, since
# gunicorn empties the metrics dir on start and sums every file in it.
export API_INSTANCE="${API_INSTANCE:-api}"
export PROMETHEUS_MULTIPROC_DIR="$DATA_DIR/$API_INSTANCE/prometheus-multiproc"
export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
VENV="${VENV:-$ROOT_DIR/.venv}"
[ -x "$VENV/bin/python" ] || die "no Python venv at $VENV: run 'just setup' first"
