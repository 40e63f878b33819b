#!/usr/bin/env bash
# One-shot before the API: apply migrations (and collect static files when
# DJANGO_ENV=production). Runs as the invoking user: it may write
# backend/staticfiles.
export SERVICE_NAME=migrate
source "$(dirname "$0")/env.sh"
# Metrics of this one-shot are not wanted (and the multiprocess dir belongs to gunicorn).
unset PROMETHEUS_MULTIPROC_DIR
cd "$ROOT_DIR/backend" || exit 1
"$VENV/bin/python" manage.py migrate --noinput
if [ "$DJANGO_ENV" = production ]; then
  "$VENV/bin/python" manage.py collectstatic --noinput
fi
