from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection

from testing import assert_error, make_user


def test_live_touches_no_dependency(client, monkeypatch):
    # No django_db mark: pytest-django fails any database access. The cache is made to fail too.
    def untouchable(*args, **kwargs):
        raise AssertionError("the cache was used")

    for method in ("get", "set", "add", "incr", "delete", "get_many", "has_key"):
        monkeypatch.setattr(LocMemCache, method, untouchable)

    response = client.get("/health/live/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_checks_database_and_cache_without_writing(client, django_assert_num_queries):
    with django_assert_num_queries(1) as queries:
        response = client.get("/health/")

    assert response.status_code == 200
    assert _without_timestamp(response) == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
    assert queries.captured_queries[0]["sql"].strip().upper() == "SELECT 1"


def _without_timestamp(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    datetime.fromisoformat(body.pop("timestamp"))
    return body


@pytest.mark.django_db
def test_health_check_returns_ok_with_a_utc_timestamp(client):
    # Ported from the original template's suite: {"status": "ok", "timestamp": <ISO 8601>}.
    response = client.get("/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    stamp = datetime.fromisoformat(body["timestamp"])
    assert stamp.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=1)


@pytest.mark.django_db
def test_health_needs_no_authentication_even_with_a_bad_token(client):
    response = client.get("/health/", HTTP_AUTHORIZATION="Bearer not-a-token")

    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_is_a_503_on_ready_and_on_the_api(client):
    make_user("before@example.com")
    settings_dict = connection.settings_dict
    saved = dict(settings_dict)
    connection.close()
    # A real failed connection: nothing listens on port 1, and no SQLite file can be created there.
    settings_dict.update(NAME="/nonexistent-dir/db.sqlite3", HOST="127.0.0.1", PORT="1")
    try:
        response = client.get("/health/")
        api_response = client.post("/api/token/", {"email": "before@example.com", "password": "x"}, "application/json")
    finally:
        connection.close()
        settings_dict.clear()
        settings_dict.update(saved)

    assert response.status_code == 503
    assert _without_timestamp(response) == {"status": "error", "checks": {"database": "unavailable", "cache": "ok"}}
    assert_error(api_response, 503, "service_unavailable")  # the API too: a clean, retryable error


def test_ready_is_503_naming_the_cache_when_redis_is_unreachable(client, settings, db):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        }
    }

    response = client.get("/health/")

    assert response.status_code == 503
    assert _without_timestamp(response) == {"status": "error", "checks": {"database": "ok", "cache": "unavailable"}}


def test_cache_failure_that_raises_is_reported_not_raised(monkeypatch):
    from apps.health import checks

    class BrokenCache:
        def touch(self, *args, **kwargs):
            raise ConnectionError("refused")

    monkeypatch.setattr(checks, "cache", BrokenCache())

    assert checks.check_cache() == "unavailable"
    assert cache is not None


def test_post_is_a_json_405_with_allow(client):
    response = client.post("/health/live/")

    body = assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD"
    assert "POST" in body["detail"]


def test_a_probe_in_another_worker_thread_does_not_spoil_this_one(monkeypatch):
    # While this probe creates its key, another thread runs a whole probe of its own: a key shared
    # between threads would make this probe's create (SET NX) fail and report a healthy cache down.
    import threading

    from apps.health import checks

    cache.clear()
    real_add = cache.add
    others: list[str] = []

    def another_probe_then_add(*args, **kwargs):
        if not others:
            thread = threading.Thread(target=lambda: others.append(checks.check_cache()))
            thread.start()
            thread.join()
        return real_add(*args, **kwargs)

    monkeypatch.setattr(cache, "add", another_probe_then_add)

    assert checks.check_cache() == "ok"
    assert others == ["ok"]


def test_a_cache_that_does_not_store_is_unavailable(monkeypatch):
    # What django-redis answers with IGNORE_EXCEPTIONS when Redis refuses the write: None, no exception.
    monkeypatch.setattr(cache, "touch", lambda *args, **kwargs: None)
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: None)

    from apps.health import checks

    assert checks.check_cache() == "unavailable"


def test_probes_do_not_push_other_entries_out_of_a_local_memory_cache():
    # LocMemCache culls a third of its entries once it holds MAX_ENTRIES (300): probes must not fill it,
    # or an anonymous client could wipe its own throttle history by probing /health/.
    from apps.health import checks

    cache.clear()
    cache.set("throttle_user_1", [1.0])

    assert all(checks.check_cache() == "ok" for _ in range(500))
    assert cache.get("throttle_user_1") == [1.0]


def test_a_steady_prober_renews_its_key_in_one_call(monkeypatch):
    from apps.health import checks

    checks.check_cache()
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: pytest.fail("a second call to the cache"))

    assert checks.check_cache() == "ok"


@pytest.mark.django_db
def test_a_stale_persistent_connection_gets_one_retry_instead_of_a_health_check(monkeypatch):
    from django.db import OperationalError, connections

    from apps.health import checks

    db: Any = connections["default"]  # the wrapper itself: monkeypatch can't restore attributes through the proxy
    db.ensure_connection()
    monkeypatch.setattr(db, "health_check_enabled", True)
    monkeypatch.setattr(db, "health_check_done", False)
    attempts: list[bool] = []
    select_one = checks._select_one

    def fails_once() -> None:
        # Django's own health check would have run (and closed the connection) before this query.
        assert db.health_check_done
        attempts.append(True)
        if len(attempts) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        select_one()

    monkeypatch.setattr(checks, "_select_one", fails_once)
    closed: list[bool] = []
    monkeypatch.setattr(db, "close", lambda: closed.append(True))  # the test's transaction stays open

    assert checks.check_database() == "ok"
    assert attempts == [True, True]
    assert closed == [True]
