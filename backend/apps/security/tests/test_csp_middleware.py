"""apps.security.middleware.CSPMiddleware writes what django-csp's own middleware writes."""

from typing import Any

import pytest
from csp.constants import NONCE, SELF
from csp.decorators import csp_exempt, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from apps.security.middleware import CSPMiddleware

HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")


def plain(request):
    return HttpResponse()


def with_nonce(request):
    return HttpResponse(str(request.csp_nonce))


@csp_update({"img-src": ["https://img.example.com"]})
def updated(request):
    return HttpResponse()


@csp_exempt()
def exempt(request):
    return HttpResponse()


def headers(middleware_class: type[DjangoCSPMiddleware], view: Any) -> tuple[dict[str, str | None], HttpRequest]:
    request = RequestFactory().get("/page/")
    response: Any = middleware_class(view)(request)
    return {name: response.get(name) for name in HEADERS}, request


@pytest.mark.parametrize("view", [plain, updated, exempt])
def test_same_headers_as_django_csp(view):
    assert headers(CSPMiddleware, view)[0] == headers(DjangoCSPMiddleware, view)[0]


def test_a_nonce_used_by_the_view_is_in_the_header(settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": [SELF, NONCE]}}
    request = RequestFactory().get("/page/")

    response: Any = CSPMiddleware(with_nonce)(request)

    assert f"script-src 'self' 'nonce-{response.content.decode()}'" in response["Content-Security-Policy"]


def test_the_policy_follows_the_settings(settings):
    before, _ = headers(CSPMiddleware, plain)
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}

    after, _ = headers(CSPMiddleware, plain)

    assert after != before
    assert after["Content-Security-Policy"] == "default-src 'none'"


def test_excluded_prefixes_are_honoured(settings):
    settings.CONTENT_SECURITY_POLICY = {"EXCLUDE_URL_PREFIXES": ["/page/"], "DIRECTIVES": {"default-src": ["'self'"]}}

    assert headers(CSPMiddleware, plain)[0]["Content-Security-Policy"] is None


def test_a_nonce_asked_for_after_the_header_is_an_error():
    _, request = headers(CSPMiddleware, plain)

    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)  # type: ignore[attr-defined]
