import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.api.request_id import adopt_request_id

access_log = logging.getLogger("apps.access")


class RequestIdMiddleware:
    """Sets X-Request-ID on every response and writes one access line per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = adopt_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        access_log.info(
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
