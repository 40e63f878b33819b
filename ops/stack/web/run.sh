#!/usr/bin/env bash
# The API: gunicorn with backend/gunicorn.conf.py (binds API_HOST:API_PORT, WEB_CONCURRENCY workers,
# multiprocess metrics in PROMETHEUS_MULTIPROC_DIR, which gunicorn.conf.py empties on start).
# The driver (ops/stack) sets the environment: DB_*, REDIS_URL, SECRET_KEY, the instance's port.
# In development, gunicorn's reload: a worker restarts when a Python file under backend/ changes
# (checked every second), through reloading.py, which survives an edit that breaks the app.
set -euo pipefail
cd "$ROOT_DIR/backend"
if [ "$DJANGO_ENV" = development ]; then
  exec "$VENV/bin/gunicorn" --reload --reload-extra-file "$ROOT_DIR/backend/**/*.py" \
    --pythonpath "$ROOT_DIR" ops.stack.web.reloading
fi
exec "$VENV/bin/gunicorn" config.wsgi
