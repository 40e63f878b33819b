import functools
import ipaddress
import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, ResolverMatch, resolve, reverse

from apps.api.request_id import adopt_request_id

access_log = logging.getLogger("apps.access")

# Health probes and Prometheus scrapes: every few seconds from this machine, they would drown real traffic.
ROUTINE_URL_NAMES = ("health-live", "health-ready", "metrics")


@functools.cache
def _routine_paths() -> frozenset[str]:
    return frozenset(reverse(name) for name in ROUTINE_URL_NAMES)


def _from_loopback(request: HttpRequest) -> bool:
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def access_level(request: HttpRequest, status: int) -> int:
    """DEBUG for a successful probe or scrape from loopback, INFO for everything else (failures included)."""
    if status < 400 and request.path in _routine_paths() and _from_loopback(request):
        return logging.DEBUG
    return logging.INFO


class RequestIdMiddleware:
    """Sets X-Request-ID on every response and writes one access line per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = adopt_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        access_log.log(
            access_level(request, response.status_code),
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return response


def routine_routes() -> dict[str, ResolverMatch]:
    """Path -> resolved view of each routine endpoint the current URLconf names (all three in config.urls)."""
    routes = {}
    for name in ROUTINE_URL_NAMES:
        try:
            path = reverse(name)
        except NoReverseMatch:
            continue
        routes[path] = resolve(path)
    return routes


class RoutineRequestMiddleware:
    """Answers probes and scrapes with their own view, before the session, CSRF and auth middleware.

    Those views read no session, user or cookie, so the middleware below this one has nothing to do
    for them but cost (about half a probe's CPU). Placed after every middleware that sets a response
    header or checks the host, so a probe's response is the same as through the full chain; the URL
    is resolved by Django's resolver at start-up and set as `request.resolver_match`, so the
    per-view metrics count it like any request. Hand-written: no library routes chosen URLs to their
    view ahead of the rest of the chain.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.routes = routine_routes()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = self.routes.get(request.path_info)
        if match is None:
            return self.get_response(request)
        request.resolver_match = match
        response: HttpResponse = match.func(request, *match.args, **match.kwargs)
        return response
