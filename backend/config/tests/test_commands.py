"""Django commands as an operator runs them, in a fresh process with a production environment.

Each command needs its own interpreter (settings are read once per process), and they don't depend
on each other: they all start when the session does (testing.background), so they run beside the
rest of the suite instead of queueing, and each test reads the outcome of its own.
"""

import functools
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import NamedTuple

import pytest

import testing
from testing import background

BACKEND = Path(__file__).resolve().parents[2]

SILK_PROBE = """
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
from apps.users.models import User
call_command("migrate", verbosity=0)
staff = User.objects.create_user("staff@example.com", "pw-Long-enough-1", is_staff=True)
plain = User.objects.create_user("plain@example.com", "pw-Long-enough-1")
for name, user in (("anonymous", None), ("plain", plain), ("staff", staff)):
    client = Client()
    if user:
        client.force_login(user)
    print(name, client.get("/silk/").status_code)
"""


def production_env(directory: Path) -> dict[str, str]:
    # The deploy check needs shared limits (REDIS_URL); it doesn't connect.
    return testing.production_env(directory, ALLOWED_HOSTS="api.example.com", REDIS_URL="redis://127.0.0.1:6379/0")


def silk_env(tmp_path: Path) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "SILK_ENABLED": "True",
        "DB_ENGINE": "sqlite",
        "DB_NAME": str(tmp_path / "silk.sqlite3"),
    }


class Started(NamedTuple):
    directory: Path  # the commands' files: databases, collected static files
    results: dict[str, Future[subprocess.CompletedProcess[str]]]


@functools.cache
def start_in_background() -> Started:
    """Every command of this module, started together; backend/conftest.py calls this as the session starts."""
    directory = Path(tempfile.mkdtemp(prefix="commands-"))
    production, silk, static = (directory / name for name in ("deploy", "silk", "static"))
    for folder in (production, silk, static):
        folder.mkdir()
    planned = {
        "deploy_check": (["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(production)),
        "no_secret_key": (["manage.py", "check"], {**production_env(production), "SECRET_KEY": ""}),
        "no_redis": (["manage.py", "check", "--deploy"], {**production_env(production), "REDIS_URL": ""}),
        "collectstatic": (["manage.py", "collectstatic", "--noinput"], production_env(static)),
        "silk": (["-c", SILK_PROBE], silk_env(silk)),
    }
    results = {name: background.run_python(args, cwd=BACKEND, env=env) for name, (args, env) in planned.items()}
    return Started(directory, results)


@pytest.fixture(scope="module")
def commands() -> Iterator[dict[str, Future[subprocess.CompletedProcess[str]]]]:
    """A test waits for its own command's result; the files go when the module is done."""
    started = start_in_background()
    yield started.results
    for result in started.results.values():
        result.result()
    shutil.rmtree(started.directory, ignore_errors=True)


@pytest.fixture(scope="module")
def static_dir() -> Path:
    return start_in_background().directory / "static"


def test_deploy_check_reports_no_issue_under_production_settings(commands):
    result = commands["deploy_check"].result()

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_fails_when_limits_would_be_counted_per_process(commands):
    result = commands["no_redis"].result()

    assert result.returncode != 0
    assert "apps.security.E001" in result.stderr
    assert "Set REDIS_URL" in result.stderr


def test_production_refuses_to_start_without_a_secret_key(commands):
    result = commands["no_secret_key"].result()

    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


def test_collectstatic_writes_a_hashed_manifest_for_whitenoise(commands, static_dir):
    result = commands["collectstatic"].result()

    assert result.returncode == 0, result.stderr
    static = static_dir / "static"
    manifest = (static / "staticfiles.json").read_text()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in manifest
    assert list((static / "admin" / "css").glob("base.*.css.gz"))


def test_silk_is_served_only_to_staff_when_enabled(commands):
    result = commands["silk"].result()

    assert result.returncode == 0, result.stderr
    statuses = dict(line.split() for line in result.stdout.splitlines())
    assert statuses == {"anonymous": "302", "plain": "403", "staff": "200"}  # 302: to the login page
