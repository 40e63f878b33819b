"""Helpers the tests of every app import; fixtures stay in conftest.py, which pytest loads and nothing imports."""

import importlib
import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.users.models import User

PASSWORD = "correct-Horse-battery-9"


def make_user(email: str, **extra: Any) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


def bearer(user: User) -> str:
    return f"Bearer {RefreshToken.for_user(user).access_token}"


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=bearer(user))
    return client


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the API's one error shape with this status (and code)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert {"status", "code", "detail", "request_id"} <= body.keys()
    assert body["status"] == status
    assert body["request_id"] == response["X-Request-ID"]
    if code is not None:
        assert body["code"] == code
    return body


@contextmanager
def load_settings(name: str, **env: str | None) -> Iterator[ModuleType]:
    """Import config.settings.<name> with these variables set (None: unset), then restore."""
    saved = {key: module for key, module in sys.modules.items() if key.startswith("config.settings.")}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            if value is None:
                patch.delenv(key, raising=False)
            else:
                patch.setenv(key, value)
        for key in saved:
            del sys.modules[key]
        try:
            yield importlib.import_module(f"config.settings.{name}")
        finally:
            for key in [key for key in sys.modules if key.startswith("config.settings.")]:
                del sys.modules[key]
            sys.modules.update(saved)


def production_env(directory: Path, **overrides: str) -> dict[str, str]:
    """A fresh process's environment for production settings on SQLite, its files in `directory`."""
    return {
        "DJANGO_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DEBUG": "0",
        "DB_ENGINE": "sqlite",
        "DB_NAME": str(directory / "db.sqlite3"),
        "STATIC_ROOT": str(directory / "static"),
        **overrides,
    }


def server_test_env(directory: Path, port: int, **overrides: str) -> dict[str, str]:
    """This environment with the test settings on SQLite, for gunicorn on `port`, its files in `directory`.

    The database and metrics directory are set outright, not left out: the server reads `.env` for what
    its environment lacks, and gunicorn.conf.py empties the metrics directory at start.
    """
    return {
        **os.environ,
        "DJANGO_ENV": "test",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": "",
        "DB_ENGINE": "sqlite",
        "DB_NAME": str(directory / "db.sqlite3"),
        "REDIS_URL": "",
        "API_PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(directory / "metrics"),
        **overrides,
    }
