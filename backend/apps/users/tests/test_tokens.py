import base64
import json
from datetime import timedelta

import pytest
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from apps.users.models import User
from testing import PASSWORD, assert_error

pytestmark = pytest.mark.django_db

OBTAIN, REFRESH, VERIFY, BLACKLIST = "/api/token/", "/api/token/refresh/", "/api/token/verify/", "/api/token/blacklist/"


def obtain(api, email: str = "user@example.com", password: str = PASSWORD):
    return api.post(OBTAIN, {"email": email, "password": password}, format="json")


def test_obtain_returns_a_pair_for_the_right_password_in_any_email_case(api, user):
    response = obtain(api, email="USER@Example.com")

    assert response.status_code == 200
    assert AccessToken(response.json()["access"])["user_id"] == str(user.pk)


@pytest.mark.parametrize(("email", "password"), [("user@example.com", "wrong-Password-1"), ("nobody@x.io", PASSWORD)])
def test_wrong_credentials_are_a_401(api, user, email, password):
    assert_error(obtain(api, email, password), 401, "no_active_account")


def test_inactive_users_get_no_token(api, user):
    user.is_active = False
    user.save()

    assert_error(obtain(api), 401)


def test_obtain_without_fields_is_a_400(api):
    body = assert_error(api.post(OBTAIN, {}, format="json"), 400, "invalid")
    assert {"email", "password"} <= body["errors"].keys()


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_its_family(api, user):
    first = obtain(api).json()["refresh"]

    rotated = api.post(REFRESH, {"refresh": first}, format="json")
    assert rotated.status_code == 200
    second = rotated.json()["refresh"]
    assert second != first

    assert_error(api.post(REFRESH, {"refresh": first}, format="json"), 401, "token_not_valid")
    assert_error(api.post(REFRESH, {"refresh": second}, format="json"), 401, "token_not_valid")
    assert obtain(api).status_code == 200  # the owner logs in again with the password


def test_a_blacklisted_refresh_token_is_refused(api, user):
    refresh = obtain(api).json()["refresh"]

    assert api.post(BLACKLIST, {"refresh": refresh}, format="json").status_code == 200

    assert_error(api.post(REFRESH, {"refresh": refresh}, format="json"), 401, "token_not_valid")
    assert_error(api.post(BLACKLIST, {"refresh": refresh}, format="json"), 401, "token_not_valid")


def test_verify_accepts_a_valid_token_and_refuses_garbage(api, user):
    access = obtain(api).json()["access"]

    assert api.post(VERIFY, {"token": access}, format="json").status_code == 200
    assert_error(api.post(VERIFY, {"token": "not.a.jwt"}, format="json"), 401, "token_not_valid")


def _unsigned(token: str) -> str:
    """The same claims with alg=none and no signature."""
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=").decode()
    payload = token.split(".")[1]
    return f"{header}.{payload}."


def test_expired_unsigned_tampered_and_wrong_type_tokens_are_refused(api, user):
    expired = AccessToken.for_user(user)
    expired.set_exp(lifetime=-timedelta(seconds=1))
    access = str(AccessToken.for_user(user))
    tampered = access[:-2] + ("AA" if not access.endswith("AA") else "BB")
    refresh_as_access = str(RefreshToken.for_user(user))

    for token in (str(expired), _unsigned(access), tampered, refresh_as_access, "garbage"):
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        assert_error(api.get("/api/users/me/"), 401)


def test_an_unsigned_refresh_token_is_refused_and_writes_nothing(api, user):
    refresh = str(RefreshToken.for_user(user))
    users_before = User.objects.count()

    assert_error(api.post(REFRESH, {"refresh": _unsigned(refresh)}, format="json"), 401)
    assert User.objects.count() == users_before


def test_lifetimes_come_from_settings(settings):
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] == timedelta(minutes=5)
    assert settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"] == timedelta(days=1)
