"""Readiness checks: each returns "ok" or a short reason, and never raises."""

import logging
import secrets
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

# Long enough for any backend to hold the key; probes leave one short-lived key each.
PROBE_KEY_TTL_SECONDS = 5


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
    # cache works: add() is True only when the backend stored the key (one round trip, SET NX). The key
    # is new per probe, so concurrent probes from other threads, workers or pods never collide.
    key = f"health:probe:{secrets.token_hex(16)}"
    try:
        stored = cache.add(key, 1, timeout=PROBE_KEY_TTL_SECONDS)
    except Exception as exc:  # noqa: BLE001 - any backend failure means "not ready"
        logger.warning("readiness: cache unavailable: %s", exc)
        return "unavailable"
    if not stored:
        logger.warning("readiness: cache did not acknowledge a write")
        return "unavailable"
    return "ok"
