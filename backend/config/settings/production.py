"""Production: refuses to start unless the deployment is configured safely."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env
from config.settings.base import *  # noqa: F403
from config.settings.base import DEBUG, SECRET_KEY
from config.settings.parsing import csp_settings

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (DEBUG=0).")
# The same bar as Django's security.W009 check: long, varied and not a generated placeholder.
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
    raise ImproperlyConfigured(
        "SECRET_KEY must be at least 50 characters with 5 distinct ones; generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
    )

CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY = csp_settings(report_only_default=False)

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# TLS normally ends at a proxy: redirect here only if it does not, and trust its scheme header only
# when it sets one (SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = env.tuple("SECURE_PROXY_SSL_HEADER", default=None)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
