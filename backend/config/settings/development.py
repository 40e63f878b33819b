"""Local development: debug on, SQLite and the local-memory cache unless env says otherwise."""

from config.env import env
from config.settings.base import *  # noqa: F403

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="development-only-insecure-key-never-use-in-production")
