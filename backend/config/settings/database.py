"""DATABASES["default"] from the environment: DATABASE_URL, or the DB_* variables.

Precedence: a non-empty DATABASE_URL (django-environ's `db_url` syntax, e.g.
postgres://user:password@host:5432/name) names the whole database and the DB_* variables are not
read; without it, DB_ENGINE (sqlite, postgres or mysql; default sqlite) with DB_NAME, DB_USER,
DB_PASS, DB_HOST and DB_PORT. Either way the engine becomes django-prometheus' wrapper of Django's
backend (queries and errors counted per alias) and the same connection options apply.
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from config.env import BACKEND_DIR, env

# DB_ENGINE's names -> Django's backends, which django-prometheus wraps under the same module names.
BACKENDS = {"sqlite": "sqlite3", "postgres": "postgresql", "mysql": "mysql"}
DEFAULT_PORTS = {"postgres": "5432", "mysql": "3306"}
DJANGO_BACKENDS = "django.db.backends."
PROMETHEUS_BACKENDS = "django_prometheus.db.backends."


def database_settings() -> dict[str, Any]:
    url = env.str("DATABASE_URL", default="")
    database = dict(env.db_url_config(url)) if url else _from_db_variables()
    backend = str(database["ENGINE"]).removeprefix(DJANGO_BACKENDS)
    if backend not in BACKENDS.values():
        raise ImproperlyConfigured(f"DATABASE_URL: {database['ENGINE']} is not one of {sorted(BACKENDS)}")
    database["ENGINE"] = PROMETHEUS_BACKENDS + backend
    if backend == "sqlite3":
        return database
    # Options the URL's query string sets win over these defaults.
    options: dict[str, Any]
    if backend == "mysql":
        options = {"charset": "utf8mb4", "init_command": "SET sql_mode='STRICT_TRANS_TABLES'"}
        database["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    else:
        options = {"connect_timeout": 5}
    database["OPTIONS"] = {**options, **database.get("OPTIONS", {})}
    database["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    database["CONN_HEALTH_CHECKS"] = True
    return database


def _from_db_variables() -> dict[str, Any]:
    """The original template's contract: DB_ENGINE and its DB_* parts."""
    engine = env.str("DB_ENGINE", default="sqlite")
    if engine not in BACKENDS:
        raise ImproperlyConfigured(f"DB_ENGINE must be one of {sorted(BACKENDS)}, not {engine!r}")
    database: dict[str, Any] = {"ENGINE": DJANGO_BACKENDS + BACKENDS[engine]}
    if engine == "sqlite":
        return {**database, "NAME": env.str("DB_NAME", default=str(BACKEND_DIR / "db.sqlite3"))}
    return {
        **database,
        "NAME": env.str("DB_NAME", default="app"),
        "USER": env.str("DB_USER", default="app"),
        "PASSWORD": env.str("DB_PASS", default=""),
        "HOST": env.str("DB_HOST", default="127.0.0.1"),
        "PORT": env.str("DB_PORT", default=DEFAULT_PORTS[engine]),
    }
