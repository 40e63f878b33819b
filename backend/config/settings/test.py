"""The test suite: fast hashing, predictable throttles, no dependency on a `.env` file's DEBUG."""

import os
import tempfile
from pathlib import Path

from config.settings.base import *  # noqa: F403
from config.settings.base import REST_FRAMEWORK

DEBUG = False
SECRET_KEY = "test-only-secret-key-with-enough-length-and-variety-0123456789"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only; never deployed
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": "1000/min",
    "user": "1000/min",
    "signup": "1000/min",
    "token": "1000/min",
    "csp_report": "1000/min",
}
# Serve static files from the apps, as in development, so tests need no collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# A file, not SQLite's shared in-memory database, so tests can really close and break the connection;
# one per process, so concurrent runs don't share it.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"api-test-{os.getpid()}.sqlite3")}  # noqa: F405
