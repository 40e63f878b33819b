"""Readiness checks: each returns "ok" or a short reason, and never raises."""

import logging
import secrets

from django.core.cache import cache
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("readiness: database unavailable: %s", exc)
        return "unavailable"
    return "ok"


def check_cache() -> str:
    # django-redis is configured to swallow connection errors, so a round trip is the only proof.
    probe = secrets.token_hex(8)
    try:
        cache.set("health:probe", probe, timeout=10)
        reachable = cache.get("health:probe") == probe
    except Exception as exc:  # noqa: BLE001 - any backend failure means "not ready"
        logger.warning("readiness: cache unavailable: %s", exc)
        return "unavailable"
    if not reachable:
        logger.warning("readiness: cache did not return the value just written")
        return "unavailable"
    return "ok"
