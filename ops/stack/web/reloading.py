"""The API's WSGI app under gunicorn's reload (the development stack; run.sh chooses it).

gunicorn restarts a worker when a Python file changes, but a worker whose app fails to load with
anything but a SyntaxError stops gunicorn itself. Here the worker stays up instead, logs the error
and answers every request (the readiness probe's too) with a 500 naming it, until the next saved
edit reloads it. Runs in gunicorn's worker with the project's virtualenv, not in the stack driver.
"""

import logging
import traceback
from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment


def failed_app(error: str) -> WSGIApplication:
    body = f"The app failed to load; save a fix and it reloads.\n\n{error}".encode()

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")])
        return [body]

    return app


def load() -> WSGIApplication:
    try:
        from config.wsgi import application
    except Exception:  # any error in the app's code: shown until the edit that fixes it
        logging.getLogger("gunicorn.error").exception("the app failed to load; save a fix and it reloads")
        return failed_app(traceback.format_exc())
    return application


application = load()
