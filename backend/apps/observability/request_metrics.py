"""Per-request Prometheus metrics: the three series the dashboard and the alert rules read.

django-prometheus' two request middlewares record about a dozen metrics per request (request and
response counts by method, transport, status and charset, body-size and latency histograms, each
before and after the chain), every one a write to a memory-mapped file in multiprocess mode that
every scrape then reads back. The dashboard (ops/grafana/dashboards/api.json) and the rules
(ops/prometheus/rules/api.yml) use three of them; this middleware records those three under the
same names and labels, with prometheus_client directly, and nothing else. django-prometheus stays
for the database metrics and the /metrics exporter.
"""

import functools
import time
from collections.abc import Callable

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from prometheus_client import Counter, Histogram

# django-prometheus' label values, so existing queries and recorded history keep matching.
UNNAMED_VIEW = "<unnamed view>"
INVALID_METHOD = "<invalid method>"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})

REQUESTS = Counter(
    "django_http_requests_total_by_view_transport_method",
    "Requests by view, transport and method.",
    ["view", "transport", "method"],
)
RESPONSES = Counter(
    "django_http_responses_total_by_status_view_method",
    "Responses by status, view and method.",
    ["status", "view", "method"],
)
# Enough resolution for p50/p95/p99 from a few milliseconds up, and an edge at the 0.5 s alert.
LATENCY = Histogram(
    "django_http_requests_latency_seconds_by_view_method",
    "Time from the first middleware to the response, by view and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


@functools.lru_cache(maxsize=4096)
def series(view: str, transport: str, method: str, status: int) -> tuple[Counter, Counter, Histogram]:
    """The labelled children for one combination, looked up once (views and statuses are few)."""
    return (
        REQUESTS.labels(view, transport, method),
        RESPONSES.labels(str(status), view, method),
        LATENCY.labels(view, method),
    )


class RequestMetricsMiddleware:
    """First in the chain, so its latency covers every other middleware and no response escapes it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = request.resolver_match  # set once URL resolution ran; None for unresolved paths
        view = (match.view_name if match else "") or UNNAMED_VIEW
        method = request.method if request.method in KNOWN_METHODS else INVALID_METHOD
        transport = "https" if request.is_secure() else "http"
        requests, responses, latency = series(view, transport, method or INVALID_METHOD, response.status_code)
        requests.inc()
        responses.inc()
        latency.observe(elapsed)
        return response
