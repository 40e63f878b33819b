"""Environment access shared by settings, manage.py, WSGI and ASGI.

`.env` at the repository root is read once, without overriding variables already set,
so the real environment always wins over the file.
"""

import os
from pathlib import Path

import environ

REPO_ROOT = Path(__file__).resolve().parents[2]
BACKEND_DIR = REPO_ROOT / "backend"

env = environ.Env()
if (REPO_ROOT / ".env").is_file():
    environ.Env.read_env(REPO_ROOT / ".env", overwrite=False)


def settings_module() -> str:
    """The settings module named by DJANGO_ENV (development, production or test)."""
    return f"config.settings.{env.str('DJANGO_ENV', default='development')}"


def prepare_process() -> None:
    """What every entry point (manage.py, WSGI, ASGI) does before Django loads.

    Picks the settings module and creates PROMETHEUS_MULTIPROC_DIR: prometheus_client writes
    per-process files there from the first metric on, in one-shot commands (migrate, shell) too,
    not only in gunicorn's workers (gunicorn empties it at start).
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module())
    if directory := env.str("PROMETHEUS_MULTIPROC_DIR", default=""):
        Path(directory).mkdir(parents=True, exist_ok=True)
