"""Security events: one structured log line and one counter increment per authentication decision.

Each line carries the event, the user id, the client address and (through the logging filter) the
request id; never a password or a token.
"""

import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter

from apps.users.lockout import client_address, client_username
from apps.users.models import User

EVENTS = (
    "login_success",
    "login_failure",
    "lockout",
    "token_refresh",
    "refresh_reuse",
    "password_change",
    "access_change",
)

# What "staff changing another account's access" means: the fields that grant or remove it.
ACCESS_FIELDS = frozenset({"is_active", "is_staff", "is_superuser", "groups", "user_permissions"})

logger = logging.getLogger("apps.users.events")
counter = Counter("security_events", "Authentication decisions, by event.", ["event"])
for _event in EVENTS:  # every series exists from start-up, so an alert sees the first increase
    counter.labels(event=_event)

# Set per request, for events raised where no request is at hand (a password saved by any path).
_request: ContextVar[HttpRequest | None] = ContextVar("security_request", default=None)


class ClientAddressMiddleware:
    """Remembers this request for its events, which work out the client address only if there is one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def current_client() -> str:
    """The address of the client whose request is being served ("" outside a request or if unknown)."""
    request = _request.get()
    return (client_address(request) or "") if request is not None else ""


def record(event: str, user_id: int | None, **details: str) -> None:
    """Log and count one event; `details` are short, non-secret words (a reason, an actor id)."""
    fields = {"event": event, "user_id": user_id, "client": current_client(), **details}
    logger.info("security %s", " ".join(f"{key}={value}" for key, value in fields.items()), extra=fields)
    counter.labels(event=event).inc()


def _account(username: str | None) -> tuple[int | None, str]:
    """The account's id and why a login failed, for the log only: the caller gets one answer for all."""
    user = User.objects.filter(email=username or "").only("pk", "is_active").first()
    if user is None:
        return None, "unknown_account"
    return user.pk, "wrong_password" if user.is_active else "inactive_account"


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    if request is not None and getattr(request, "axes_locked_out", False):
        return  # axes' user_locked_out records this one as a lockout
    user_id, reason = _account(client_username(request, credentials))
    record("login_failure", user_id, reason=reason)


@receiver(user_locked_out)
def _locked_out(sender: Any, request: Any, username: str | None, **kwargs: Any) -> None:
    record("lockout", _account(username)[0])


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    record("login_success", user.pk, via="admin")
