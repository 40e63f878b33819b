"""django-axes' hooks: who is guessing (account and address) and what a locked-out caller is told."""

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from apps.users.models import normalize_email


def client_address(request: HttpRequest) -> str | None:
    """DRF's client address (honours NUM_PROXIES), so a forged X-Forwarded-For doesn't reset a lockout.

    None unless it is an IP address (no REMOTE_ADDR, or NUM_PROXIES reaching into a forged header):
    axes stores it in an IP column, which PostgreSQL validates.
    """
    ident = BaseThrottle().get_ident(request)  # type: ignore[arg-type]  # reads request.META only
    try:
        return str(ipaddress.ip_address(ident))
    except ValueError:
        return None


def client_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account as stored: `User@Example.com` and `user@example.com` count against one lockout."""
    credentials = credentials or {}
    # The admin form posts `username`; the token endpoint authenticates with `email`.
    typed = credentials.get("username") or credentials.get("email")
    return normalize_email(typed) if isinstance(typed, str) else None


def cool_off_seconds() -> int:
    """An upper bound of the wait: a lockout ends one cool-off after the failure that caused it."""
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def raise_if_locked_out(request: Any) -> None:
    """The API's answer to a locked-out caller: 429 with Retry-After in the error shape.

    AxesBackend flags the request it was handed: with DRF that is the DRF request, which axes'
    middleware never sees, so API views ask here instead.
    """
    if getattr(request, "axes_locked_out", False):
        raise Throttled(wait=cool_off_seconds(), detail="Too many failed logins; try again later.")


def lockout_page(
    request: HttpRequest, response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the admin login form's answer to a locked-out caller."""
    minutes = -(-cool_off_seconds() // 60)
    page = render(request, "users/lockout.html", {"minutes": minutes}, status=429)
    page["Retry-After"] = str(cool_off_seconds())
    return page
