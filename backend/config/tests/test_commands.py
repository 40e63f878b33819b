"""Django commands as an operator runs them, in a fresh process with a production environment.

Each command needs its own interpreter (settings are read once per process), and they don't depend
on each other: the module starts them all at once, so they share the machine's cores instead of
queueing, and each test reads the outcome of its own.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

import testing

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


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=BACKEND,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def static_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("static")


@pytest.fixture(scope="module")
def commands(
    tmp_path_factory: pytest.TempPathFactory, static_dir: Path
) -> Iterator[dict[str, Future[subprocess.CompletedProcess[str]]]]:
    """Every command of this module, started together; a test waits for its own result."""
    production, silk = tmp_path_factory.mktemp("deploy"), tmp_path_factory.mktemp("silk")
    planned = {
        "deploy_check": (["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(production)),
        "no_secret_key": (["manage.py", "check"], {**production_env(production), "SECRET_KEY": ""}),
        "no_redis": (["manage.py", "check", "--deploy"], {**production_env(production), "REDIS_URL": ""}),
        "collectstatic": (["manage.py", "collectstatic", "--noinput"], production_env(static_dir)),
        "silk": (["-c", SILK_PROBE], silk_env(silk)),
    }
    with ThreadPoolExecutor(max_workers=len(planned)) as pool:
        yield {name: pool.submit(run, args, env) for name, (args, env) in planned.items()}


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
