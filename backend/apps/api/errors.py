"""One error shape for every failure, from DRF views and from Django itself.

    {"status": 400, "code": "invalid", "detail": "Invalid input.",
     "errors": {"email": ["..."]}, "request_id": "..."}

`errors` (messages by field) is present only for validation errors. Services raise Django's
ValidationError and PermissionDenied; the handler answers them like DRF's own.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from apps.api.exceptions import DatabaseUnavailable, PayloadTooLarge
from apps.api.request_id import current_request_id

logger = logging.getLogger(__name__)


def error_body(status_code: int, code: str, detail: str, errors: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status_code, "code": code, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    body["request_id"] = current_request_id()
    return body


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, reshaped; Django's body-size error becomes a 413 instead of an HTML 400."""
    exc = _as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return None
    response.data = error_body(response.status_code, *_code_and_detail(exc))
    return response


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, OperationalError | InterfaceError):  # lost or refused connection, not a bug
        logger.error("database unavailable: %s", exc)
        return DatabaseUnavailable()
    return exc


def _code_and_detail(exc: exceptions.APIException) -> tuple[str, str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return "invalid", "Invalid input.", errors
    detail = exc.detail
    # SimpleJWT raises with a dict: {"detail": ..., "code": ..., "messages": [...]}.
    if isinstance(detail, dict):
        code = str(detail.get("code", exc.default_code))
        return code, str(detail.get("detail", exc.default_detail)), None
    return str(getattr(detail, "code", exc.default_code)), str(detail), None


def _django_error(status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(error_body(status_code, code, detail), status=status_code)


def bad_request(request: HttpRequest, exception: Exception) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):
        return _django_error(413, "payload_too_large", "Request body is too large.")
    return _django_error(400, "bad_request", "Bad request.")


def permission_denied(request: HttpRequest, exception: Exception) -> JsonResponse:
    return _django_error(403, "permission_denied", "You do not have permission to perform this action.")


def page_not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    return _django_error(404, "not_found", "Not found.")


def server_error(request: HttpRequest) -> JsonResponse:
    return _django_error(500, "server_error", "Internal server error.")


def safe_methods_only(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Django's `require_safe`, answering other methods with the JSON error shape."""

    @wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            response = _django_error(405, "method_not_allowed", f'Method "{request.method}" not allowed.')
            response["Allow"] = "GET, HEAD"
            return response
        return view(request)

    return wrapper
