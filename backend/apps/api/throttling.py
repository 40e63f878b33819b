"""Rate limits as sliding-window counters: one Redis round trip per throttle, whatever the rate.

DRF's SimpleRateThrottle keeps every request's timestamp of the window in the cache and reads and
rewrites that list on each request (two round trips, a payload growing with the rate). Here each
client has two integer counters, this window's and the previous one's; the previous one counts in
proportion to how much of it still overlaps the sliding window (the approximation Redis' own rate
limiting pattern uses). Check and count happen in one Lua script, so two API processes sharing Redis
can't both let the last request of a limit through, and a refused request is not counted (as in DRF).

Hand-written because DRF's throttles and the rate-limit libraries that target Django (django-ratelimit)
both read and write through several cache calls per request.

Without Redis (the local-memory cache in development and tests) the same counters live in Django's
cache API; when Redis is unreachable, requests are let through and the failure is logged, as the
cache's IGNORE_EXCEPTIONS does for everything else.
"""

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django_redis import get_redis_connection
from redis import Redis
from redis.commands.core import Script
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# KEYS: this window's counter, the previous window's. ARGV: limit, window seconds, fraction of this
# window elapsed. Returns {allowed (1/0), this window's count, the previous window's count}.
SLIDING_WINDOW = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if previous * (1 - tonumber(ARGV[3])) + current >= tonumber(ARGV[1]) then
    return {0, current, previous}
end
current = redis.call('INCR', KEYS[1])
if current == 1 then
    redis.call('EXPIRE', KEYS[1], 2 * tonumber(ARGV[2]))
end
return {1, current, previous}
"""


@functools.cache
def parse_rate(rate: str) -> tuple[int, int]:
    """DRF's rate format: "100/min" -> (100, 60); only the period's first letter counts."""
    count, period = rate.split("/")
    return int(count), PERIODS[period[0]]


@functools.cache
def sliding_window_script(client: Redis) -> Script:
    """Registered once per client: later calls send only the script's SHA (EVALSHA)."""
    return client.register_script(SLIDING_WINDOW)


def redis_client() -> Redis | None:
    """The Redis connection behind the default cache, or None for a cache without one."""
    try:
        client: Redis = get_redis_connection("default")
    except NotImplementedError:
        return None
    return client


class SlidingWindowRateThrottle(BaseThrottle):
    """A limit of `rate` requests per period for each client, as DRF's rates spell it ("30/min").

    Subclasses name the `scope` (its rate is DEFAULT_THROTTLE_RATES[scope]) and may override
    `client_key` to choose who counts as one client; None exempts the request.
    """

    scope: str
    timer: Callable[[], float] = time.time

    def __init__(self) -> None:
        self.retry_after: float | None = None

    def client_key(self, request: Request) -> str | None:
        """The client's address: REMOTE_ADDR, or X-Forwarded-For's entry for NUM_PROXIES proxies."""
        return self.get_ident(request)

    def allow_request(self, request: Request, view: Any) -> bool:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        client = self.client_key(request)
        if rate is None or client is None:
            return True
        limit, period = parse_rate(rate)
        now = self.timer()
        window, elapsed = divmod(now, period)
        prefix = f"throttle:{self.scope}:{client}"
        keys = [f"{prefix}:{int(window)}", f"{prefix}:{int(window) - 1}"]
        fraction = elapsed / period
        counted = self.count(keys, limit, period, fraction)
        if counted is None:
            return True
        allowed, current, previous = counted
        if not allowed:
            self.retry_after = seconds_until_allowed(limit, period, fraction, current, previous)
        return allowed

    def count(self, keys: list[str], limit: int, period: int, fraction: float) -> tuple[bool, int, int] | None:
        """Check and count one request; None when the counters can't be reached."""
        client = redis_client()
        if client is None:
            return count_in_cache(keys, limit, period, fraction)
        try:
            allowed, current, previous = sliding_window_script(client)(
                keys=[cache.make_key(key) for key in keys], args=[limit, period, fraction]
            )
        except RedisError:
            logger.warning("throttle %s not applied: Redis is unreachable", self.scope, exc_info=True)
            return None
        return bool(allowed), int(current), int(previous)

    def wait(self) -> float | None:
        return self.retry_after


def count_in_cache(keys: list[str], limit: int, period: int, fraction: float) -> tuple[bool, int, int]:
    """The same counters through Django's cache API, for caches without Redis (one process each)."""
    counts = cache.get_many(keys)
    current, previous = counts.get(keys[0], 0), counts.get(keys[1], 0)
    if previous * (1 - fraction) + current >= limit:
        return False, current, previous
    if cache.add(keys[0], 1, timeout=2 * period):
        return True, 1, previous
    return True, cache.incr(keys[0]), previous


def seconds_until_allowed(limit: int, period: int, fraction: float, current: int, previous: int) -> float:
    """When the weighted count drops below the limit again, assuming no further requests."""
    if current < limit:
        # Within this window, as the previous window's share shrinks.
        needed = 1 - (limit - current) / previous
        return max((needed - fraction) * period, 1.0)
    # In the next window, this window's count becomes the shrinking share.
    next_window = (1 - fraction) * period
    return max(next_window + (1 - limit / current) * period, 1.0)


class AnonRateThrottle(SlidingWindowRateThrottle):
    """Anonymous requests, by client address; logged-in users fall under `user`."""

    scope = "anon"

    def client_key(self, request: Request) -> str | None:
        return None if request.user and request.user.is_authenticated else self.get_ident(request)


class UserRateThrottle(SlidingWindowRateThrottle):
    """Logged-in users by account, anonymous ones by client address."""

    scope = "user"

    def client_key(self, request: Request) -> str | None:
        if request.user and request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return self.get_ident(request)


class SignUpRateThrottle(SlidingWindowRateThrottle):
    scope = "signup"


class TokenRateThrottle(SlidingWindowRateThrottle):
    scope = "token"


class CspReportRateThrottle(SlidingWindowRateThrottle):
    scope = "csp_report"
