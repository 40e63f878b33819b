#!/usr/bin/env bash
# One-shot before the API: apply migrations, and collect static files in production (migrate.py,
# which waits for the database itself). The driver leaves it out while INIT_STAMP (a hash of the
# migrations and settings) matches the last run's.
set -euo pipefail
cd "$ROOT_DIR/backend"
PYTHONPATH="$ROOT_DIR" "$VENV/bin/python" -m ops.stack.web.migrate
echo "$INIT_STAMP" >"$INIT_STAMP_FILE"
