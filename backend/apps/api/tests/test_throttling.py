"""Rate limits: scoped on sign-up and token obtain, keyed by the real client address."""

import logging
import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from redis import Redis

from apps.api import throttling
from testing import PASSWORD, assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(throttle_rates):
    return throttle_rates


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, set by hand: `clock(seconds)`."""

    def set_time(now: float) -> None:
        monkeypatch.setattr(throttling.SlidingWindowRateThrottle, "timer", staticmethod(lambda: now))

    return set_time


@pytest.fixture
def redis_cache() -> Redis:
    """The Redis behind the default cache; the suite runs on it under `just test-postgres`/`test-mysql`."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis as the cache: `just up postgres redis`, then `just test-postgres`")
    client = throttling.redis_client()
    assert client is not None, "REDIS_URL is set but the default cache has no Redis connection"
    return client


def sign_up(api, index: int, **headers):
    payload = {"email": f"person{index}@example.com", "password": PASSWORD}
    return api.post("/api/users/", payload, format="json", **headers)


def test_sign_up_has_its_own_stricter_limit_with_retry_after(api, rates):
    rates(signup="2/hour")

    assert sign_up(api, 1).status_code == 201
    assert sign_up(api, 2).status_code == 201
    response = sign_up(api, 3)

    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_a_forged_x_forwarded_for_does_not_reset_the_limit(api, rates):
    rates(signup="2/hour")

    statuses = [sign_up(api, index, HTTP_X_FORWARDED_FOR=f"203.0.113.{index}").status_code for index in range(4)]

    assert statuses == [201, 201, 429, 429]


def test_behind_one_trusted_proxy_the_forwarded_address_is_the_client(api, rates, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    rates(signup="1/hour")

    first = sign_up(api, 1, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code
    same_client = sign_up(api, 2, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code
    other_client = sign_up(api, 3, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code

    assert (first, same_client, other_client) == (201, 429, 201)


def test_token_obtain_is_throttled_even_with_wrong_passwords(api, user, rates):
    rates(token="3/min")

    statuses = [
        api.post("/api/token/", {"email": user.email, "password": f"guess-{n}"}, format="json").status_code
        for n in range(4)
    ]

    assert statuses == [401, 401, 401, 429]


def test_anonymous_requests_are_limited(api, rates):
    rates(anon="2/min")

    statuses = [api.post("/api/token/verify/", {"token": "x"}, format="json").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]


def test_authenticated_users_have_their_own_limit(user_api, rates):
    rates(user="2/min")

    assert [user_api.get("/api/users/me/").status_code for _ in range(3)] == [200, 200, 429]


def test_health_is_never_throttled(api, rates):
    rates(anon="1/min", user="1/min")

    assert {api.get("/health/live/").status_code for _ in range(30)} == {200}
    assert {api.get("/health/").status_code for _ in range(5)} == {200}


def test_the_previous_window_still_counts_for_its_overlap(user_api, rates, clock):
    rates(user="2/min")
    clock(60_000 + 50)  # 50 s into a minute
    assert [user_api.get("/api/users/me/").status_code for _ in range(2)] == [200, 200]

    clock(60_060 + 6)  # next minute, 6 s in: 90 % of the previous two still count (1.8)
    assert [user_api.get("/api/users/me/").status_code for _ in range(2)] == [200, 429]

    clock(60_060 + 36)  # 36 s in: 40 % of them (0.8) plus this minute's one
    assert user_api.get("/api/users/me/").status_code == 200


def test_retry_after_says_when_the_window_has_slid_far_enough(api, rates, clock):
    rates(signup="2/hour")
    clock(3600 * 10 + 600)  # 10 minutes into an hour
    assert [sign_up(api, index).status_code for index in range(2)] == [201, 201]

    response = sign_up(api, 3)

    # Both counted in this hour: allowed again once the next hour starts (50 minutes on), when they
    # begin to slide out of the window.
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) == 50 * 60


def test_a_refused_request_is_not_counted(api, rates, clock):
    rates(anon="1/min")
    clock(60_000)
    statuses = [api.post("/api/token/verify/", {"token": "x"}, format="json").status_code for _ in range(5)]

    clock(60_060 + 59)  # a minute on: only the one allowed request is left, at 1/60 of its weight
    after = api.post("/api/token/verify/", {"token": "x"}, format="json").status_code

    assert (statuses, after) == ([401, 429, 429, 429, 429], 401)


def test_requests_pass_and_the_failure_is_logged_when_redis_is_down(user_api, rates, settings, caplog):
    rates(user="1/min")
    settings.CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }

    with caplog.at_level(logging.WARNING, logger="apps.api.throttling"):
        statuses = [user_api.get("/api/users/me/").status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert "throttle user not applied: Redis is unreachable" in caplog.messages


def test_counters_live_in_redis_for_every_process_to_see(user_api, user, rates, redis_cache, clock):
    rates(user="5/min")
    clock(60_000 + 30)
    for _ in range(3):
        user_api.get("/api/users/me/")

    key = cache.make_key(f"throttle:user:user-{user.pk}:1000")
    assert int(redis_cache.get(key)) == 3
    assert 0 < redis_cache.ttl(key) <= 120  # two windows: it still weighs in during the next minute


def test_concurrent_clients_never_get_past_the_limit(redis_cache):
    """Check and count are one script: 40 requests at once from separate connections, 10 allowed."""
    keys = [cache.make_key("throttle:test:race:1"), cache.make_key("throttle:test:race:0")]
    redis_cache.delete(*keys)

    def one_request(_: int) -> int:
        client = Redis.from_url(os.environ["REDIS_URL"])  # a connection of its own, as another process has
        allowed, _current, _previous = throttling.sliding_window_script(client)(keys=keys, args=[10, 60, 0.5])
        client.close()
        return int(allowed)

    with ThreadPoolExecutor(max_workers=8) as workers:
        allowed = sum(workers.map(one_request, range(40)))

    assert allowed == 10
    assert int(redis_cache.get(keys[0])) == 10
    redis_cache.delete(*keys)
