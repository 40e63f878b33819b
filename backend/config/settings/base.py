"""Settings shared by every environment; each value a deployment may change comes from env.

Every variable is documented in `.env.example` at the repository root.
"""

import re
from datetime import timedelta

from config.env import BACKEND_DIR, env
from config.settings.database import database_settings
from config.settings.parsing import csp_settings, parse_permissions_policy

SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SILK_ENABLED = env.bool("SILK_ENABLED", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "csp",
    "apps.api",
    "apps.users",
    "apps.health",
    "apps.observability",
    "apps.security",
]

MIDDLEWARE = [
    "apps.observability.request_metrics.RequestMetricsMiddleware",
    "apps.observability.middleware.RequestIdMiddleware",
    # What every response carries, probes included: security headers, then the host check.
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Health probes and metrics scrapes are answered here: nothing below concerns them.
    "apps.observability.middleware.RoutineRequestMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.users.events.ClientAddressMiddleware",
    # Last, as django-axes requires: turns a locked-out admin login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

if SILK_ENABLED:
    INSTALLED_APPS.append("silk")
    MIDDLEWARE.insert(MIDDLEWARE.index("apps.users.events.ClientAddressMiddleware"), "silk.middleware.SilkyMiddleware")
    SILKY_AUTHENTICATION = True
    SILKY_AUTHORISATION = True  # Silk's default permission check is `user.is_staff`.

# Admin messages in the session: the default cookie-then-session storage builds a cookie signer on every
# request, probes and API calls included, for messages only the admin shows.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BACKEND_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# DATABASE_URL, else DB_ENGINE and DB_*: see config/settings/database.py.
DATABASES = {"default": database_settings()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                # A Redis outage degrades caching and throttling instead of failing requests.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache"}}

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
PASSWORD_HASHERS = [
    # Argon2id with Django's parameters (time_cost=2, memory_cost=100 MiB, parallelism=8):
    # memory-hard against GPU cracking and cheaper in CPU per login than PBKDF2 at 1M iterations.
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: Django calls its password_changed() on every saved password, which revokes tokens.
    {"NAME": "apps.users.tokens.RevokeTokensOnPasswordChange"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account or address
    "django.contrib.auth.backends.ModelBackend",
]

# Brute force (django-axes): LOCKOUT_FAILURE_LIMIT wrong passwords for one account (from any number of
# addresses), or from one address (for any accounts), lock logins for LOCKOUT_COOLOFF_SECONDS after
# the last counted failure. State lives in the database: shared by every worker and instance, kept
# through a Redis outage. Failures during a lockout are not counted, so it always ends on time.
ADMIN_URL = env.str("ADMIN_URL", default="admin/")
if not re.fullmatch(r"((?!\.+/)[\w.~-]+/)+", ADMIN_URL):  # segments of letters, digits, . _ ~ -; no . or ..
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"ADMIN_URL must be a relative path ending in '/', like 'admin/', not {ADMIN_URL!r}")
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_FAILURE_LIMIT = env.int("LOCKOUT_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(seconds=env.int("LOCKOUT_COOLOFF_SECONDS", default=15 * 60))
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "apps.users.lockout.client_username"
AXES_CLIENT_IP_CALLABLE = "apps.users.lockout.client_address"
AXES_LOCKOUT_CALLABLE = "apps.users.lockout.lockout_page"

# --- Internationalisation and static files --------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BACKEND_DIR / "staticfiles")
# Served at the site root by WhiteNoise: /favicon.ico, which browsers ask for on every docs page.
WHITENOISE_ROOT = BACKEND_DIR / "config" / "public"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Bodies above this are refused with 413 before they are parsed (Django's own limit, enforced
# for DRF too by apps.api.parsers).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["apps.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("PAGE_SIZE", default=20),
    "DEFAULT_SCHEMA_CLASS": "apps.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "apps.api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.api.throttling.AnonRateThrottle",
        "apps.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="100/min"),
        "user": env.str("THROTTLE_USER", default="1000/min"),
        "signup": env.str("THROTTLE_SIGNUP", default="20/hour"),
        "token": env.str("THROTTLE_TOKEN", default="30/min"),
        "csp_report": env.str("THROTTLE_CSP_REPORT", default="60/min"),
    },
    # Client address = REMOTE_ADDR unless that many trusted proxies append to X-Forwarded-For.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("ACCESS_TOKEN_LIFETIME_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("REFRESH_TOKEN_LIFETIME_DAYS", default=1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    # Access tokens carry a digest of the password hash and die with a password change; refresh
    # tokens are blacklisted then too (apps.users.tokens). Why both: docs/security.md.
    "CHECK_REVOKE_TOKEN": True,  # nosec B105: a switch, not a password
    "REVOKE_TOKEN_CLAIM": "hash_password",  # nosec B105: a claim name, not a password
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "API",
    "DESCRIPTION": "Email login, JWT with refresh rotation, user management.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security headers -------------------------------------------------------------------------
SECURITY_HEADERS_ENABLED = env.bool("SECURITY_HEADERS_ENABLED", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = env.str("REFERRER_POLICY", default="same-origin") if SECURITY_HEADERS_ENABLED else None
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin" if SECURITY_HEADERS_ENABLED else None
PERMISSIONS_POLICY = (
    parse_permissions_policy(
        env.str(
            "PERMISSIONS_POLICY",
            default="accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
            "microphone=(), payment=(), usb=()",
        )
    )
    if SECURITY_HEADERS_ENABLED
    else {}
)

# Report-only here; production enforces unless CSP_REPORT_ONLY=True.
CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY = csp_settings(report_only_default=True)

# --- Metrics ----------------------------------------------------------------------------------
# /metrics answers clients in these networks, or any client presenting `Bearer METRICS_TOKEN`.
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# django-prometheus' database query-duration histogram: no panel or alert reads it, and every bucket is
# a line each scrape merges and renders. Six instead of its seventeen keep the scrape short.
PROMETHEUS_LATENCY_BUCKETS = (0.001, 0.01, 0.1, 1.0, 10.0, float("inf"))

# --- Logging ----------------------------------------------------------------------------------
JSON_LOGS = env.bool("JSON_LOGS", default=False)
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "apps.observability.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(process)d",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
        "text": {"format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if JSON_LOGS else "text",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Replaces Django's default handlers for its loggers, which would print each line twice.
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"level": "WARNING"},
        "django_redis": {"level": "WARNING"},
        # django-axes' lines repeat apps.users.events with the typed username (which may be a
        # mistyped password); the events carry the user id instead.
        "axes": {"level": "ERROR"},
    },
}
