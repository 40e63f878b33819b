"""The stack's `migrate` one-shot (web/migrate.sh runs it in backend/ with the project's virtualenv).

It starts with PostgreSQL's initialisation rather than after it: Django is imported first, then it
waits for the database (manage.py migrate would fail at once on a refused connection), migrates,
and collects static files in production. The import, seconds on a fresh start, overlaps initdb.
System checks are left to `just check`, `just lint` and the suite (gunicorn doesn't run them either).
"""

import os
import sys
import time

import django
from django.core.management import call_command
from django.db import connection
from django.db.utils import OperationalError

from config.env import prepare_process

# PostgreSQL's first start (initdb, the role, the server) within this, on a loaded machine too.
DATABASE_TIMEOUT = 120


def wait_for_database() -> None:
    deadline = time.monotonic() + DATABASE_TIMEOUT
    while True:
        try:
            connection.ensure_connection()
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
        else:
            return


def main() -> int:
    prepare_process()
    django.setup()
    wait_for_database()
    call_command("migrate", interactive=False, skip_checks=True)
    if os.environ.get("DJANGO_ENV") == "production":
        call_command("collectstatic", interactive=False, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
