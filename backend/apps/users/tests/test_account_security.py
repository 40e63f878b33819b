"""Account security in-process: lockout, token revocation, reuse detection, events (HTTP suite: test_attacks_http)."""

import logging
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from prometheus_client import REGISTRY

from apps.security.checks import shared_limit_state
from apps.users.events import record
from apps.users.models import User
from testing import PASSWORD, assert_error, client_for, make_user

pytestmark = pytest.mark.django_db

OBTAIN, REFRESH, ME, PASSWORD_URL = "/api/token/", "/api/token/refresh/", "/api/users/me/", "/api/users/me/password/"
NEW_PASSWORD = "another-Battery-staple-4"


@pytest.fixture(autouse=True)
def _lockout(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def obtain(
    api: Any, email: str = "user@example.com", password: str = PASSWORD, address: str = "127.0.0.1", **extra: str
) -> Any:
    return api.post(OBTAIN, {"email": email, "password": password}, format="json", REMOTE_ADDR=address, **extra)


def events(caplog: Any, name: str) -> list[Any]:
    return [r for r in caplog.records if r.name == "apps.users.events" and r.event == name]


def counted(event: str) -> float:
    return REGISTRY.get_sample_value("security_events_total", {"event": event}) or 0.0


# --------------------------------------------------------------------------- lockout


def test_guesses_spread_over_many_addresses_still_lock_the_account(api, user):
    statuses = [obtain(api, password=f"guess-{n}", address=f"198.51.100.{n}").status_code for n in range(5)]

    assert statuses == [401, 401, 429, 429, 429]
    locked = obtain(api, address="198.51.100.200")  # even the right password, from a new address
    body = assert_error(locked, 429, "throttled")
    assert int(locked["Retry-After"]) == 15 * 60
    assert "failed logins" in body["detail"]


@pytest.mark.parametrize(
    ("num_proxies", "headers"),
    [(0, {"REMOTE_ADDR": ""}), (2, {"HTTP_X_FORWARDED_FOR": "not-an-address, 127.0.0.1"})],
    ids=["no-remote-addr", "forged-forwarded-for"],
)
def test_a_client_address_that_is_no_ip_is_still_a_clean_401(api, user, settings, num_proxies, headers):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    response = api.post(OBTAIN, {"email": "user@example.com", "password": "guess"}, format="json", **headers)

    assert_error(response, 401)


def test_one_address_guessing_many_accounts_is_locked(api):
    statuses = [obtain(api, email=f"victim{n}@example.com", password="guess").status_code for n in range(4)]

    assert statuses == [401, 401, 429, 429]


def test_email_case_and_a_forged_forwarded_for_do_not_dodge_the_lock(api, user):
    for n, email in enumerate(["USER@example.com", "User@Example.COM", "user@EXAMPLE.com"]):
        obtain(api, email=email, password="guess", address=f"203.0.113.{n}", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")

    assert_error(obtain(api, address="203.0.113.99"), 429)


def test_unknown_account_and_wrong_password_look_the_same_but_are_logged_apart(api, user, caplog):
    caplog.set_level(logging.INFO, "apps.users.events")

    unknown = obtain(api, email="nobody@example.com", address="192.0.2.1").json()
    wrong = obtain(api, password="wrong-Password-1", address="192.0.2.2").json()

    assert {k: v for k, v in unknown.items() if k != "request_id"} == {
        k: v for k, v in wrong.items() if k != "request_id"
    }
    failures = events(caplog, "login_failure")
    assert [(r.user_id, r.reason, r.client) for r in failures] == [
        (None, "unknown_account", "192.0.2.1"),
        (user.pk, "wrong_password", "192.0.2.2"),
    ]
    assert all(r.request_id for r in failures)
    logged = caplog.text
    assert "wrong-Password-1" not in logged
    assert PASSWORD not in logged


def test_an_inactive_account_gets_the_generic_answer_and_is_logged_as_such(api, caplog):
    caplog.set_level(logging.INFO, "apps.users.events")
    make_user("gone@example.com", is_active=False)

    assert_error(obtain(api, email="gone@example.com"), 401, "no_active_account")

    assert [r.reason for r in events(caplog, "login_failure")] == ["inactive_account"]


def test_the_lockout_ends_after_the_cool_off(api, user, settings):
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    for n in range(3):
        obtain(api, password="guess", address=f"198.51.100.{n}")
    assert obtain(api).status_code == 429

    time.sleep(1.2)

    assert obtain(api).status_code == 200


def test_unlock_lifts_the_lockout_at_once(api, user):
    for n in range(3):
        obtain(api, password="guess", address=f"198.51.100.{n}")
    assert obtain(api, address="198.51.100.50").status_code == 429

    call_command("axes_reset_username", "user@example.com")

    assert obtain(api, address="198.51.100.50").status_code == 200


def test_wrong_current_passwords_count_toward_the_lockout(user):
    api = client_for(user)
    payload = {"current_password": "guess", "new_password": NEW_PASSWORD}

    statuses = [api.post(PASSWORD_URL, payload, format="json").status_code for _ in range(4)]

    assert statuses == [400, 400, 429, 429]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_the_admin_form_is_locked_with_a_page_that_says_so(client, user, staff):
    for n in range(3):
        client.post("/admin/login/", {"username": staff.email, "password": f"guess-{n}"})

    page = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})

    assert page.status_code == 429
    assert int(page["Retry-After"]) == 15 * 60
    assert b"Too many failed logins" in page.content
    assert "_auth_user_id" not in client.session


def test_the_admin_logs_staff_in_and_records_it(client, staff, caplog):
    caplog.set_level(logging.INFO, "apps.users.events")

    response = client.post("/admin/login/?next=/admin/", {"username": staff.email, "password": PASSWORD})

    assert response.status_code == 302
    assert [r.user_id for r in events(caplog, "login_success")] == [staff.pk]


def test_the_admin_refuses_an_account_without_staff_status(client, user):
    response = client.post("/admin/login/", {"username": user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


# --------------------------------------------------------------------------- revocation


def test_a_password_change_revokes_every_token_of_the_account(api, user, caplog):
    caplog.set_level(logging.INFO, "apps.users.events")
    before = obtain(api).json()
    me = client_for(user)

    changed = me.post(PASSWORD_URL, {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json")

    assert changed.status_code == 204
    assert_error(api.post(REFRESH, {"refresh": before["refresh"]}, format="json"), 401, "token_not_valid")
    stale = api.get(ME, HTTP_AUTHORIZATION=f"Bearer {before['access']}")
    assert_error(stale, 401, "password_changed")
    assert obtain(api, password=NEW_PASSWORD).status_code == 200
    assert [r.revoked for r in events(caplog, "password_change")] == ["2"]  # the pair and client_for's


def test_changepassword_and_the_admin_revoke_tokens_too(api, user, superuser, client):
    refresh = obtain(api).json()["refresh"]
    user.set_password(NEW_PASSWORD)  # what `changepassword` and the admin's password form do
    user.save()

    assert_error(api.post(REFRESH, {"refresh": refresh}, format="json"), 401)

    refresh = obtain(api, password=NEW_PASSWORD).json()["refresh"]
    client.force_login(superuser)
    form = {"password1": "third-Password-55x", "password2": "third-Password-55x", "usable_password": "true"}
    assert client.post(f"/admin/users/user/{user.pk}/password/", form).status_code == 302

    assert_error(api.post(REFRESH, {"refresh": refresh}, format="json"), 401)


def test_refresh_reuse_revokes_the_family_and_is_recorded(api, user, caplog):
    caplog.set_level(logging.INFO, "apps.users.events")
    stolen = obtain(api).json()["refresh"]
    current = api.post(REFRESH, {"refresh": stolen}, format="json").json()["refresh"]
    other_device = obtain(api).json()["refresh"]
    reuses = counted("refresh_reuse")

    assert_error(api.post(REFRESH, {"refresh": stolen}, format="json"), 401)

    for family_member in (current, other_device):
        assert_error(api.post(REFRESH, {"refresh": family_member}, format="json"), 401)
    assert next((r.user_id, r.revoked) for r in events(caplog, "refresh_reuse")) == (user.pk, "2")
    assert counted("refresh_reuse") >= reuses + 1
    assert "token_refresh" in {r.event for r in caplog.records if r.name == "apps.users.events"}


def test_a_forged_or_access_token_at_refresh_is_not_a_replay(api, user, caplog):
    caplog.set_level(logging.INFO, "apps.users.events")
    access = obtain(api).json()["access"]

    assert_error(api.post(REFRESH, {"refresh": access}, format="json"), 401)
    assert_error(api.post(REFRESH, {"refresh": "not.a.jwt"}, format="json"), 401)

    assert not events(caplog, "refresh_reuse")


# --------------------------------------------------------------------------- access changes


def test_staff_changing_access_is_recorded(superuser, user, caplog):
    caplog.set_level(logging.INFO, "apps.users.events")

    response = client_for(superuser).patch(f"/api/users/{user.pk}/", {"is_active": False}, format="json")

    assert response.status_code == 200
    [event] = events(caplog, "access_change")
    assert (event.user_id, event.actor, event.fields) == (user.pk, str(superuser.pk), "is_active")


def test_the_admin_recording_access_changes(client, superuser, user, caplog):
    caplog.set_level(logging.INFO, "apps.users.events")
    client.force_login(superuser)
    form = {
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "00:00:00",
        "first_name": "",
        "last_name": "",
    }

    assert client.post(f"/admin/users/user/{user.pk}/change/", form).status_code == 302

    assert User.objects.get(pk=user.pk).is_staff
    [event] = events(caplog, "access_change")
    assert event.fields == "is_staff"


# --------------------------------------------------------------------------- deploy check


def test_the_deploy_check_refuses_an_in_process_cache_and_accepts_redis(settings):
    settings.CACHES = {"default": {"BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache"}}
    [error] = shared_limit_state(None)
    assert error.id == "apps.security.E001"

    settings.CACHES = {"default": {"BACKEND": "django_prometheus.cache.backends.redis.RedisCache", "LOCATION": "x"}}
    assert shared_limit_state(None) == []


def test_an_event_raised_outside_a_request_names_no_client(caplog):
    caplog.set_level(logging.INFO, "apps.users.events")

    record("access_change", None, actor="command")

    assert [r.client for r in events(caplog, "access_change")] == [""]
