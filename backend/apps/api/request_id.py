"""The id that ties a request's log lines and its error body to its X-Request-ID header.

Part of the API's contract (the header and every error body carry it), so it lives beside the error
shape; apps.observability sets it per request and writes it into log lines. Hand-written because the
libraries for this accept only UUIDs and clear the id before django.request logs the response.
"""

import re
import uuid
from contextvars import ContextVar
from typing import Any

_request_id: ContextVar[str] = ContextVar("request_id", default="")
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def current_request_id() -> str:
    return _request_id.get()


def adopt_request_id(incoming: str | None) -> str:
    """Keep a caller's id only if short and safe, so it can't forge or flood log lines."""
    request_id = incoming if incoming and SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    _request_id.set(request_id)
    return request_id


def clear_request_id(**_: Any) -> None:
    _request_id.set("")
