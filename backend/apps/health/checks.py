"""Readiness checks: each returns "ok" or a short reason, and never raises."""

import logging
import os
import secrets
import threading
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

# One key per process and thread: concurrent probes never touch each other's key, and the number of keys
# stays bounded (a key per probe would fill an in-memory cache and push out its throttle counters).
_PROBE_KEY_PREFIX = f"health:probe:{secrets.token_hex(8)}"
# Longer than the usual probe interval, so a steady prober's key is still there to be touched.
PROBE_KEY_TTL_SECONDS = 60


def _select_one() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_database() -> str:
    # This SELECT 1 is a health check in itself: Django's own before it (CONN_HEALTH_CHECKS) would
    # double the probe's round trips. A persistent connection that went stale (database restarted)
    # instead gets one retry on a fresh connection, as that check would have given it.
    db: Any = connection  # django-stubs lacks the health-check attributes (Django 4.1+)
    stale = db.connection is not None and db.health_check_enabled and not db.health_check_done
    db.health_check_done = db.health_check_done or stale
    try:
        _select_one()
    except DatabaseError as exc:
        if stale:
            db.close()
            return check_database()
        logger.warning("readiness: database unavailable: %s", exc)
        return "unavailable"
    return "ok"


def check_cache() -> str:
    # django-redis is configured to swallow connection errors, so only an acknowledged write proves the
    # cache works: touch() renews this thread's key (PEXPIRE, one round trip) and is True only if the
    # backend did; add() (SET NX) creates the key on the first probe or after it expired.
    key = f"{_PROBE_KEY_PREFIX}:{os.getpid()}:{threading.get_ident()}"
    try:
        acknowledged = cache.touch(key, PROBE_KEY_TTL_SECONDS) or cache.add(key, 1, PROBE_KEY_TTL_SECONDS)
    except Exception as exc:  # noqa: BLE001 - any backend failure means "not ready"
        logger.warning("readiness: cache unavailable: %s", exc)
        return "unavailable"
    if not acknowledged:
        logger.warning("readiness: cache did not acknowledge a write")
        return "unavailable"
    return "ok"
