"""Local development: debug on, SQLite and the local-memory cache unless env says otherwise."""

from config.env import env
from config.settings.base import *  # noqa: F403
from config.settings.parsing import codespace_forwarded_host

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="development-only-insecure-key-never-use-in-production")

# In a GitHub Codespace the API is reached through its forwarded port over https: accept that host,
# and trust its origin for the admin's forms (Django compares Origin with the plain-http request).
if forwarded_host := codespace_forwarded_host(env.int("API_PORT", default=8000)):
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, forwarded_host]  # noqa: F405
    CSRF_TRUSTED_ORIGINS = [*CSRF_TRUSTED_ORIGINS, f"https://{forwarded_host}"]  # noqa: F405
