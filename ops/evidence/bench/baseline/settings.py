"""Bare settings: nothing installed, nothing in the request path but URL resolution and the view."""

import os
import secrets

# Never used to sign anything here; a per-process random value keeps Django's checks quiet.
SECRET_KEY = os.environ.get("BASELINE_SECRET_KEY") or secrets.token_urlsafe(64)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "ops.evidence.bench.baseline.urls"
WSGI_APPLICATION = "ops.evidence.bench.baseline.wsgi.application"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
