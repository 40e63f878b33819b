"""Each settings module is imported afresh under a given environment, as a deployment would."""

import secrets

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import prepare_process, settings_module
from config.settings.parsing import parse_csp_policy, parse_permissions_policy
from testing import load_settings

STRONG_KEY = secrets.token_urlsafe(64)
PRODUCTION_ENV = {"SECRET_KEY": STRONG_KEY, "DEBUG": "0"}


@pytest.mark.parametrize("key", [None, "short", "django-insecure-" + "x" * 60, "a" * 80])
def test_production_refuses_a_weak_secret_key(key):
    with (
        pytest.raises(ImproperlyConfigured, match="SECRET_KEY"),
        load_settings("production", SECRET_KEY=key, DEBUG="0"),
    ):
        pass


def test_production_refuses_debug():
    with (
        pytest.raises(ImproperlyConfigured, match="DEBUG"),
        load_settings("production", SECRET_KEY=STRONG_KEY, DEBUG="1"),
    ):
        pass


def test_production_defaults_are_safe():
    with load_settings("production", **PRODUCTION_ENV, CSP_REPORT_ONLY=None, SECURE_SSL_REDIRECT=None) as production:
        assert production.CONTENT_SECURITY_POLICY["DIRECTIVES"]["frame-ancestors"] == ["'none'"]
        assert production.CONTENT_SECURITY_POLICY_REPORT_ONLY is None
        assert production.SECURE_SSL_REDIRECT is True
        assert production.SECURE_HSTS_SECONDS >= 31536000
        assert production.SESSION_COOKIE_SECURE
        assert production.CSRF_COOKIE_SECURE
        assert production.STORAGES["staticfiles"]["BACKEND"].endswith("CompressedManifestStaticFilesStorage")


def test_production_tls_proxy_settings_come_from_env():
    env = {**PRODUCTION_ENV, "SECURE_SSL_REDIRECT": "False", "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https"}
    with load_settings("production", **env) as production:
        assert production.SECURE_SSL_REDIRECT is False
        assert production.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


def test_production_csp_can_start_report_only():
    with load_settings("production", **PRODUCTION_ENV, CSP_REPORT_ONLY="True") as production:
        assert production.CONTENT_SECURITY_POLICY is None
        assert production.CONTENT_SECURITY_POLICY_REPORT_ONLY is not None


def test_csp_can_be_disabled_or_replaced():
    with load_settings("development", CSP_ENABLED="False") as development:
        assert development.CONTENT_SECURITY_POLICY is None
        assert development.CONTENT_SECURITY_POLICY_REPORT_ONLY is None
    with load_settings("development", CSP_POLICY="default-src 'none'; img-src https:", CSP_REPORT_ONLY="False") as dev:
        assert dev.CONTENT_SECURITY_POLICY == {"DIRECTIVES": {"default-src": ["'none'"], "img-src": ["https:"]}}


def test_security_headers_can_be_switched_off():
    with load_settings("development", SECURITY_HEADERS_ENABLED="False") as development:
        assert development.PERMISSIONS_POLICY == {}
        assert development.SECURE_REFERRER_POLICY is None
        assert development.SECURE_CROSS_ORIGIN_OPENER_POLICY is None


def test_referrer_and_permissions_policies_come_from_env():
    env = {"REFERRER_POLICY": "no-referrer", "PERMISSIONS_POLICY": 'camera=(self "https://a.example"), usb=()'}
    with load_settings("development", **env) as development:
        assert development.SECURE_REFERRER_POLICY == "no-referrer"
        assert development.PERMISSIONS_POLICY == {"camera": ["self", "https://a.example"], "usb": []}


def test_sqlite_is_the_default_database():
    with load_settings("development", DB_ENGINE=None, DATABASE_URL=None) as development:
        assert development.DATABASES["default"]["ENGINE"] == "django_prometheus.db.backends.sqlite3"


def test_postgres_reuses_health_checked_connections():
    env = {"DB_ENGINE": "postgres", "DB_NAME": "api", "DB_USER": "api", "DB_PASS": "pw", "DB_PORT": None}
    with load_settings("development", **env, DATABASE_URL=None) as development:
        database = development.DATABASES["default"]
        assert database["ENGINE"] == "django_prometheus.db.backends.postgresql"
        assert (database["NAME"], database["USER"], database["PASSWORD"], database["PORT"]) == (
            "api",
            "api",
            "pw",
            "5432",
        )
        assert database["CONN_HEALTH_CHECKS"] is True
        assert database["CONN_MAX_AGE"] == 60


def test_mysql_uses_utf8mb4():
    with load_settings("development", DB_ENGINE="mysql", DB_PORT=None, DATABASE_URL=None) as development:
        database = development.DATABASES["default"]
        assert database["ENGINE"] == "django_prometheus.db.backends.mysql"
        assert database["OPTIONS"]["charset"] == "utf8mb4"
        assert database["PORT"] == "3306"


def test_an_unknown_database_engine_is_refused():
    with (
        pytest.raises(ImproperlyConfigured, match="DB_ENGINE"),
        load_settings("development", DB_ENGINE="oracle", DATABASE_URL=None),
    ):
        pass


def test_database_url_wins_over_the_db_variables_and_keeps_the_metrics_backend():
    env = {"DB_ENGINE": "mysql", "DB_NAME": "ignored", "DB_HOST": "ignored.example", "DB_PORT": "3307"}
    url = "postgres://api:p%40ss@db.example:6543/api_db?sslmode=require"
    with load_settings("development", **env, DATABASE_URL=url, CONN_MAX_AGE="30") as development:
        database = development.DATABASES["default"]
    assert database["ENGINE"] == "django_prometheus.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == ("api_db", "api", "p@ss")
    assert (database["HOST"], database["PORT"]) == ("db.example", 6543)
    # The URL's options join the defaults; connections are reused and health-checked as with DB_*.
    assert database["OPTIONS"] == {"connect_timeout": 5, "sslmode": "require"}
    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (30, True)


def test_a_mysql_database_url_gets_the_same_options_as_db_engine_mysql():
    url = "mysql://api:pw@127.0.0.1/api_db"
    with load_settings("development", DATABASE_URL=url, DB_ENGINE=None) as from_url:
        by_url = from_url.DATABASES["default"]
    env = {"DB_ENGINE": "mysql", "DB_NAME": "api_db", "DB_USER": "api", "DB_PASS": "pw", "DB_HOST": "127.0.0.1"}
    with load_settings("development", **env, DATABASE_URL=None) as from_variables:
        by_variables = from_variables.DATABASES["default"]

    assert by_url["ENGINE"] == by_variables["ENGINE"] == "django_prometheus.db.backends.mysql"
    for key in ("OPTIONS", "TEST", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "NAME", "USER", "PASSWORD", "HOST"):
        assert by_url[key] == by_variables[key], key


def test_a_sqlite_database_url(tmp_path):
    with load_settings("development", DATABASE_URL=f"sqlite:///{tmp_path}/api.sqlite3") as development:
        database = development.DATABASES["default"]
    assert database["ENGINE"] == "django_prometheus.db.backends.sqlite3"
    assert database["NAME"] == f"{tmp_path}/api.sqlite3"
    assert "CONN_MAX_AGE" not in database


def test_a_database_url_of_another_engine_is_refused():
    with (
        pytest.raises(ImproperlyConfigured, match="DATABASE_URL"),
        load_settings("development", DATABASE_URL="oracle://u:p@db.example/api"),
    ):
        pass


@pytest.mark.parametrize("name", ["development", "test", "production"])
def test_importing_settings_creates_no_directory(tmp_path, name):
    multiproc_dir = tmp_path / "metrics"
    with load_settings(name, **PRODUCTION_ENV, PROMETHEUS_MULTIPROC_DIR=str(multiproc_dir)):
        pass
    assert list(tmp_path.iterdir()) == []


def test_redis_url_selects_django_redis_that_never_fails_requests():
    with load_settings("development", REDIS_URL="redis://127.0.0.1:6379/3") as development:
        cache = development.CACHES["default"]
        assert cache["BACKEND"] == "django_prometheus.cache.backends.redis.RedisCache"
        assert cache["LOCATION"] == "redis://127.0.0.1:6379/3"
        assert cache["OPTIONS"]["IGNORE_EXCEPTIONS"] is True
    with load_settings("development", REDIS_URL=None) as development:
        assert development.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def test_silk_is_wired_only_when_enabled():
    with load_settings("development", SILK_ENABLED="True") as development:
        assert "silk" in development.INSTALLED_APPS
        assert "silk.middleware.SilkyMiddleware" in development.MIDDLEWARE
    with load_settings("development", SILK_ENABLED=None) as development:
        assert "silk" not in development.INSTALLED_APPS


def test_throttle_rates_and_proxies_come_from_env():
    with load_settings("development", THROTTLE_SIGNUP="5/hour", NUM_PROXIES="1") as development:
        assert development.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["signup"] == "5/hour"
        assert development.REST_FRAMEWORK["NUM_PROXIES"] == 1


def test_token_lifetimes_come_from_env():
    env = {"ACCESS_TOKEN_LIFETIME_MINUTES": "2", "REFRESH_TOKEN_LIFETIME_DAYS": "7"}
    with load_settings("development", **env) as development:
        assert development.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds() == 120
        assert development.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].days == 7


def test_django_env_names_the_settings_module(monkeypatch):
    monkeypatch.setenv("DJANGO_ENV", "production")
    assert settings_module() == "config.settings.production"
    monkeypatch.delenv("DJANGO_ENV")
    assert settings_module() == "config.settings.development"


def test_policy_strings_are_parsed_or_refused():
    assert parse_csp_policy("default-src 'self';; img-src data: ;") == {"default-src": ["'self'"], "img-src": ["data:"]}
    with pytest.raises(ImproperlyConfigured):
        parse_csp_policy(" ; ")
    with pytest.raises(ImproperlyConfigured, match="feature=\\(allowlist\\)"):
        parse_permissions_policy("camera=self")


def test_the_multiprocess_metrics_directory_exists_for_any_process(tmp_path, monkeypatch):
    # Every entry point (manage.py, WSGI, ASGI) prepares the process; importing settings doesn't.
    directory = tmp_path / "metrics" / "api"
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "config.settings.test")

    prepare_process()

    assert directory.is_dir()


@pytest.mark.parametrize("admin_url", ["/admin/", "admin", "", "../x/", "a dmin/"])
def test_admin_url_must_be_a_relative_path_ending_in_a_slash(admin_url):
    with pytest.raises(ImproperlyConfigured, match="ADMIN_URL"), load_settings("test", ADMIN_URL=admin_url):
        pass


def test_admin_url_moves_the_admin():
    with load_settings("test", ADMIN_URL="backstage/staff/") as settings:
        assert settings.ADMIN_URL == "backstage/staff/"
