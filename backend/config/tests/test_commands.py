"""Django commands as an operator runs them, in a fresh process with a production environment."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BACKEND,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "DJANGO_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "api.example.com",
        "DB_ENGINE": "sqlite",
        "DB_NAME": str(tmp_path / "db.sqlite3"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "REDIS_URL": "redis://127.0.0.1:6379/0",  # the deploy check needs shared limits; it doesn't connect
    }


def test_deploy_check_reports_no_issue_under_production_settings(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_fails_when_limits_would_be_counted_per_process(tmp_path):
    result = manage("check", "--deploy", **{**production_env(tmp_path), "REDIS_URL": ""})

    assert result.returncode != 0
    assert "apps.security.E001" in result.stderr
    assert "Set REDIS_URL" in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = manage("check", **{**production_env(tmp_path), "SECRET_KEY": ""})

    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


def test_collectstatic_writes_a_hashed_manifest_for_whitenoise(tmp_path):
    result = manage("collectstatic", "--noinput", **production_env(tmp_path))

    assert result.returncode == 0, result.stderr
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in manifest
    assert list((tmp_path / "static" / "admin" / "css").glob("base.*.css.gz"))


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


def test_silk_is_served_only_to_staff_when_enabled(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "SILK_ENABLED": "True",
        "DB_ENGINE": "sqlite",
        "DB_NAME": str(tmp_path / "silk.sqlite3"),
    }
    result = subprocess.run(
        [sys.executable, "-c", SILK_PROBE],
        cwd=BACKEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    statuses = dict(line.split() for line in result.stdout.splitlines())
    assert statuses == {"anonymous": "302", "plain": "403", "staff": "200"}  # 302: to the login page
