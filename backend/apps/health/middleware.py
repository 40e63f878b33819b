"""A short way through the middleware chain for the health probes."""

from collections.abc import Callable

from django.core.handlers.exception import response_for_exception
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.urls import NoReverseMatch, ResolverMatch, get_script_prefix, resolve, reverse

PROBE_URL_NAMES = ("health-live", "health-ready")


class HealthProbeMiddleware:
    """Serves GET/HEAD /health/live/ and /health/ without the middleware that has nothing to do for them.

    Sessions, CSRF, authentication, messages, WhiteNoise and URL resolution do nothing for the probe
    views but cost about a third of a liveness probe's time. Placed after the middleware every
    response needs (metrics before, request id and access log, security headers, Permissions-Policy,
    CSP), which still wrap it, this middleware applies what the skipped ones contribute to these
    responses: Host validation and Content-Length (CommonMiddleware), X-Frame-Options, and the
    resolved view that labels the per-view metrics. Every other request goes down the
    full chain.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.common = CommonMiddleware(get_response)
        self.xframe = XFrameOptionsMiddleware(get_response)
        self._routes: dict[str, ResolverMatch] | None = None

    def _probe_routes(self) -> dict[str, ResolverMatch]:
        # Resolved on first use: the URLconf may not be importable while the middleware chain loads.
        if self._routes is None:
            routes = {}
            for name in PROBE_URL_NAMES:
                try:
                    path = reverse(name)[len(get_script_prefix()) - 1 :]
                except NoReverseMatch:  # a URLconf without this probe: nothing to shortcut
                    continue
                routes[path] = resolve(path)
            self._routes = routes
        return self._routes

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        match = self._probe_routes().get(request.path_info)
        if match is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        # Raises DisallowedHost (a 400) for a Host outside ALLOWED_HOSTS; a redirect or refusal it
        # returns is left to the full chain, which repeats it.
        if self.common.process_request(request) is not None:
            return self.get_response(request)
        request.resolver_match = match  # the per-view metrics' label
        try:
            response = match.func(request, *match.args, **match.kwargs)
        except Exception as exc:  # noqa: BLE001 - as Django's handler: answered with a 500
            response = response_for_exception(request, exc)
        response = self.xframe.process_response(request, response)
        return self.common.process_response(request, response)
