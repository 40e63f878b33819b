#!/usr/bin/env bash
# One-shot before the API: apply migrations, and collect static files in production. The driver
# leaves it out while INIT_STAMP (a hash of the migrations and settings) matches the last run's.
set -euo pipefail
cd "$ROOT_DIR/backend"
"$VENV/bin/python" manage.py migrate --noinput
if [ "$DJANGO_ENV" = production ]; then "$VENV/bin/python" manage.py collectstatic --noinput; fi
echo "$INIT_STAMP" >"$INIT_STAMP_FILE"
