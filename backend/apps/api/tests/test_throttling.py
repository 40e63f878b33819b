"""Rate limits: scoped on sign-up and token obtain, keyed by the real client address."""

import pytest
from rest_framework.throttling import SimpleRateThrottle

from testing import PASSWORD, assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    """Set throttle rates for one test (DRF binds the rate table at import, not per request)."""

    def apply(**scopes: str) -> None:
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, **scopes})

    return apply


def sign_up(api, index: int, **headers):
    payload = {"email": f"person{index}@example.com", "password": PASSWORD}
    return api.post("/api/users/", payload, format="json", **headers)


def test_sign_up_has_its_own_stricter_limit_with_retry_after(api, rates):
    rates(signup="2/hour")

    assert sign_up(api, 1).status_code == 201
    assert sign_up(api, 2).status_code == 201
    response = sign_up(api, 3)

    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


def test_a_forged_x_forwarded_for_does_not_reset_the_limit(api, rates):
    rates(signup="2/hour")

    statuses = [sign_up(api, index, HTTP_X_FORWARDED_FOR=f"203.0.113.{index}").status_code for index in range(4)]

    assert statuses == [201, 201, 429, 429]


def test_behind_one_trusted_proxy_the_forwarded_address_is_the_client(api, rates, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    rates(signup="1/hour")

    first = sign_up(api, 1, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code
    same_client = sign_up(api, 2, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code
    other_client = sign_up(api, 3, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code

    assert (first, same_client, other_client) == (201, 429, 201)


def test_token_obtain_is_throttled_even_with_wrong_passwords(api, user, rates):
    rates(token="3/min")

    statuses = [
        api.post("/api/token/", {"email": user.email, "password": f"guess-{n}"}, format="json").status_code
        for n in range(4)
    ]

    assert statuses == [401, 401, 401, 429]


def test_anonymous_requests_are_limited(api, rates):
    rates(anon="2/min")

    statuses = [api.post("/api/token/verify/", {"token": "x"}, format="json").status_code for _ in range(3)]

    assert statuses == [401, 401, 429]


def test_authenticated_users_have_their_own_limit(user_api, rates):
    rates(user="2/min")

    assert [user_api.get("/api/users/me/").status_code for _ in range(3)] == [200, 200, 429]


def test_health_is_never_throttled(api, rates):
    rates(anon="1/min", user="1/min")

    assert {api.get("/health/live/").status_code for _ in range(30)} == {200}
    assert {api.get("/health/").status_code for _ in range(5)} == {200}
