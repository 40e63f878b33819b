#!/usr/bin/env bash
# The API: gunicorn with backend/gunicorn.conf.py (binds API_HOST:API_PORT, WEB_CONCURRENCY workers,
# multiprocess metrics in PROMETHEUS_MULTIPROC_DIR, which gunicorn.conf.py empties on start).
# The driver (ops/stack) sets the environment: DB_*, REDIS_URL, SECRET_KEY, the instance's port.
set -euo pipefail
cd "$ROOT_DIR/backend"
exec "$VENV/bin/gunicorn" config.wsgi
