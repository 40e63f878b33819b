"""The health probes' short way through the middleware answers exactly what the full chain would."""

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import ResolverMatch
from django.utils import timezone
from prometheus_client import REGISTRY

from apps.health.middleware import HealthProbeMiddleware
from apps.observability.request_metrics import RequestMetricsMiddleware
from conftest import assert_error

FAST_PATH = "apps.health.middleware.HealthProbeMiddleware"
BY_VIEW = "django_http_responses_total_by_status_view_method_total"


def full_chain() -> override_settings:
    return override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m != FAST_PATH])


def served(view: str = "health-live", status: str = "200", method: str = "GET") -> float:
    return REGISTRY.get_sample_value(BY_VIEW, {"status": status, "view": view, "method": method}) or 0


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/live/", "/health/"])
@pytest.mark.parametrize("method", ["get", "head"])
def test_same_status_headers_and_body_as_the_full_chain(client, method, path, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 1, 1, tzinfo=UTC))  # the same readiness timestamp
    fast = getattr(client, method)(path)
    with full_chain():
        full = getattr(client, method)(path)

    assert FAST_PATH in settings.MIDDLEWARE
    assert fast.status_code == full.status_code == 200
    assert fast.content == full.content
    assert {k: v for k, v in fast.items() if k != "X-Request-ID"} == {
        k: v for k, v in full.items() if k != "X-Request-ID"
    }
    assert fast["X-Request-ID"] != full["X-Request-ID"]
    assert fast["X-Frame-Options"] == "DENY"
    assert fast["Content-Length"] == str(len(client.get(path).content))


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "view"), [("/health/live/", "health-live"), ("/health/", "health-ready")])
def test_counted_by_view_like_any_request(client, path, view):
    before = served(view)

    client.get(path)

    assert served(view) == before + 1


def test_a_host_outside_allowed_hosts_is_still_a_400(client):
    assert_error(client.get("/health/live/", HTTP_HOST="evil.example.com"), 400, "bad_request")


def test_other_paths_and_methods_take_the_full_chain():
    downstream = HttpResponse("full chain")
    middleware = HealthProbeMiddleware(lambda request: downstream)
    rf = RequestFactory()

    assert middleware(rf.get("/api/users/me/")) is downstream
    assert middleware(rf.post("/health/live/")) is downstream
    assert middleware(rf.delete("/health/")) is downstream
    assert middleware(rf.get("/health/live")) is downstream


@override_settings(ROOT_URLCONF="apps.security.urls")
def test_without_the_probe_in_the_urlconf_nothing_is_shortcut():
    downstream = HttpResponse("full chain")

    assert HealthProbeMiddleware(lambda request: downstream)(RequestFactory().get("/health/live/")) is downstream


def test_an_exception_in_the_view_is_counted_and_answered_with_a_500():
    def broken(request):
        raise RuntimeError("boom")

    probes = HealthProbeMiddleware(lambda request: HttpResponse())
    probes._routes = {"/health/live/": ResolverMatch(broken, (), {}, url_name="broken-live")}
    before = served(view="broken-live", status="500")

    response = RequestMetricsMiddleware(probes)(RequestFactory().get("/health/live/"))

    assert response.status_code == 500
    assert served(view="broken-live", status="500") == before + 1
