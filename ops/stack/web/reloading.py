"""The API's WSGI app under gunicorn's reload (the development stack; run.sh chooses it).

gunicorn restarts a worker when a Python file changes, but a worker whose app fails to load with
anything but a SyntaxError stops gunicorn itself. Here the worker stays up instead, logs the error
and answers every request (the readiness probe's too) with a 500 naming it, until the next saved
edit reloads it. And gunicorn starts watching the files only once the app is loaded: a file saved
while the worker was loading it (a second save, a formatter's) would be missed, so the worker then
exits at once and gunicorn starts a fresh one. Runs in gunicorn's worker with the project's
virtualenv, not in the stack driver.
"""

import logging
import sys
import time
import traceback
from collections.abc import Iterable
from pathlib import Path
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

BACKEND = Path(__file__).resolve().parents[3] / "backend"


def failed_app(error: str) -> WSGIApplication:
    body = f"The app failed to load; save a fix and it reloads.\n\n{error}".encode()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")])
        return [body]

    return app


def newest_change() -> float:
    """The latest modification time of the Python files under backend/ (what run.sh has gunicorn watch)."""
    return max((path.stat().st_mtime for path in BACKEND.rglob("*.py")), default=0.0)


def load() -> WSGIApplication:
    started = time.time()
    application: WSGIApplication
    try:
        from config.wsgi import application
    except Exception:  # any error in the app's code: shown until the edit that fixes it
        logging.getLogger("gunicorn.error").exception("the app failed to load; save a fix and it reloads")
        application = failed_app(traceback.format_exc())
    if started < newest_change() <= time.time():
        logging.getLogger("gunicorn.error").info("a file changed while the app loaded: loading it again")
        sys.exit(0)  # gunicorn replaces a worker that exits
    return application


application = load()
