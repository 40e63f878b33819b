"""Schemathesis hooks for `just fuzz`, loaded through schemathesis.toml beside it.

Some of the API's rules depend on its state, which OpenAPI can't express: an email must not be in
use by another account, `current_password` must be the caller's password, and a new password must
pass Django's password validators, which compare it with the account's email and names. Just before
a schema-valid test case is sent, its values are adjusted to satisfy these rules, so that it reaches
the success path and a 400 on it remains a failure. Schema-violating cases are sent as generated.

run.py passes the acting account in FUZZ_ACTOR_ID, FUZZ_ACTOR_EMAIL and FUZZ_ACTOR_PASSWORD.
"""

import importlib
import itertools
import os
import secrets
import sys
import uuid
from pathlib import Path
from typing import Any

import django
import schemathesis
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from schemathesis import Case, HookContext, Response

# CSP Level 2 browsers post JSON under this media type; schemathesis can't tell it is JSON by the name
# (application/reports+json it recognises by the +json suffix).
schemathesis.serializer.alias("application/csp-report", "application/json")

SIGN_UP = "POST /api/users/"
WRITES_EMAIL = {SIGN_UP, "PATCH /api/users/me/", "PATCH /api/users/{id}/"}
CHANGES_PASSWORD = "POST /api/users/me/password/"
EMAIL_MAX_LENGTH = 254

# Django set up as in manage.py, for the API's own password validators and an unsaved User to compare with.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "backend"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", importlib.import_module("config.env").settings_module())
django.setup()

_run = uuid.uuid4().hex[:8]  # accounts from earlier runs stay in the database
_serial = itertools.count()
# What the acting account looks like now, as the responses to the fuzzer's own changes show it.
_actor: dict[str, Any] = {
    "id": int(os.environ["FUZZ_ACTOR_ID"]),
    "email": os.environ["FUZZ_ACTOR_EMAIL"],
    "first_name": "",
    "last_name": "",
    "password": os.environ["FUZZ_ACTOR_PASSWORD"],
}


def unused_email(email: str) -> str:
    """The address with `+<tag>` ending its local part, shortened to keep within the length limits."""
    local, _, domain = email.rpartition("@")
    tag = f"+fz{_run}{next(_serial)}"
    # The schema's pattern makes the local part a dot-atom; any prefix of one followed by `+...` is one too.
    local = local[: max(0, min(64, EMAIL_MAX_LENGTH - len(domain) - 1) - len(tag))]
    return f"{local}{tag}@{domain}"


def acceptable_password(password: str, account: dict[str, Any]) -> str:
    """The password, or a random one if the validators would refuse it for this account."""
    from apps.users.models import User  # only once django.setup() has run

    user = User(
        **{name: account[name] for name in ("email", "first_name", "last_name") if isinstance(account.get(name), str)}
    )
    try:
        password_validation.validate_password(password, user)
    except ValidationError:
        return secrets.token_urlsafe(18)
    return password


def route(case: Case[Any]) -> str:
    """`METHOD /path/{param}/` of the request: not the operation's label, as a probe may use another method."""
    return f"{case.method.upper()} {case.operation.path}"


@schemathesis.hook
def before_call(context: HookContext, case: Case[Any], kwargs: dict[str, Any]) -> None:
    if case.meta is None or not case.meta.generation.mode.is_positive or not isinstance(case.body, dict):
        return
    label, body = route(case), dict[str, Any](case.body)
    if label in WRITES_EMAIL and isinstance(body.get("email"), str):
        body["email"] = unused_email(body["email"])
    if label == SIGN_UP and isinstance(body.get("password"), str):
        body["password"] = acceptable_password(body["password"], body)
    if label == CHANGES_PASSWORD and isinstance(body.get("new_password"), str):
        body["current_password"] = _actor["password"]
        body["new_password"] = acceptable_password(body["new_password"], _actor)
    case.body = body


@schemathesis.hook
def after_call(context: HookContext, case: Case[Any], response: Response) -> None:
    if not 200 <= response.status_code < 300:
        return
    if route(case) == CHANGES_PASSWORD and isinstance(case.body, dict):
        _actor["password"] = case.body["new_password"]
    elif "json" in response.headers.get("content-type", [""])[0]:
        account = response.json()
        if isinstance(account, dict) and account.get("id") == _actor["id"]:
            _actor.update({name: account[name] for name in ("email", "first_name", "last_name") if name in account})
