"""Probes and scrapes are answered before the session, CSRF and auth middleware, with every promise of the chain.

Every header, the host check, the request id and the per-view metrics are those of any request.
"""

import pytest
from django.test import Client, override_settings
from django.urls import path
from prometheus_client import REGISTRY

from testing import assert_error

BY_VIEW = "django_http_responses_total_by_status_view_method_total"


def served(view: str = "health-live", status: str = "200", method: str = "GET") -> float:
    return REGISTRY.get_sample_value(BY_VIEW, {"status": status, "view": view, "method": method}) or 0


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/live/", "/health/"])
@pytest.mark.parametrize("method", ["get", "head"])
def test_probes_carry_every_header_of_the_chain(client, method, path):
    response = getattr(client, method)(path)

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Length"] == str(len(client.get(path).content))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy-Report-Only" in response
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Request-ID"]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "view"), [("/health/live/", "health-live"), ("/health/", "health-ready")])
def test_counted_by_view_like_any_request(client, path, view):
    before = served(view)

    client.get(path)

    assert served(view) == before + 1


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/health/live/", "/health/", "/metrics"])
def test_routine_requests_skip_the_session_and_auth_middleware(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response.wsgi_request.resolver_match.url_name in {"health-live", "health-ready", "metrics"}
    assert not hasattr(response.wsgi_request, "session")
    assert not hasattr(response.wsgi_request, "user")


def test_other_requests_still_take_the_whole_chain(client):
    assert hasattr(client.get("/api/users/me/").wsgi_request, "session")


def test_the_probe_view_still_answers_other_methods_and_paths_without_the_slash(client):
    assert client.post("/health/live/").status_code == 405
    assert client.get("/health/live").status_code == 301


def test_the_metrics_scrape_is_counted_by_view(client):
    before = served(view="metrics")

    client.get("/metrics")

    assert served(view="metrics") == before + 1


def test_a_host_outside_allowed_hosts_is_still_a_400(client):
    assert_error(client.get("/health/live/", HTTP_HOST="evil.example.com"), 400, "bad_request")


def broken(request):
    raise RuntimeError("boom")


urlpatterns = [path("health/live/", broken, name="broken-live")]


@override_settings(ROOT_URLCONF=__name__)
def test_an_exception_in_the_view_is_counted_and_answered_with_a_500():
    before = served(view="broken-live", status="500")

    response = Client(raise_request_exception=False).get("/health/live/")

    assert response.status_code == 500
    assert served(view="broken-live", status="500") == before + 1
