#!/usr/bin/env bash
# One-shot before the API: apply migrations, and collect static files in production.
set -euo pipefail
cd "$ROOT_DIR/backend"
"$VENV/bin/python" manage.py migrate --noinput
if [ "$DJANGO_ENV" = production ]; then "$VENV/bin/python" manage.py collectstatic --noinput; fi
