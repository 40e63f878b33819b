"""Fixtures shared by every app's tests: an API client, users, and tokens."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from apps.users.models import User

PASSWORD = "correct-Horse-battery-9"


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    """Throttle counters live in the cache; each test starts with none (Redis included)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def throttle_rates(settings: Any) -> Callable[..., None]:
    """Set some scopes' rates for one test: `throttle_rates(signup="2/hour")`."""

    def apply(**scopes: str) -> None:
        rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **scopes}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    return apply


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def make_user(email: str, **extra: Any) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


@pytest.fixture
def user(db: None) -> User:
    return make_user("user@example.com", first_name="Ursula")


@pytest.fixture
def other_user(db: None) -> User:
    return make_user("other@example.com")


@pytest.fixture
def staff(db: None) -> User:
    return make_user("staff@example.com", is_staff=True)


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser(email="root@example.com", password=PASSWORD)


def bearer(user: User) -> str:
    return f"Bearer {RefreshToken.for_user(user).access_token}"


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=bearer(user))
    return client


@pytest.fixture
def user_api(user: User) -> APIClient:
    return client_for(user)


@pytest.fixture
def staff_api(staff: User) -> APIClient:
    return client_for(staff)


@pytest.fixture
def superuser_api(superuser: User) -> APIClient:
    return client_for(superuser)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the API's one error shape with this status (and code)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert {"status", "code", "detail", "request_id"} <= body.keys()
    assert body["status"] == status
    assert body["request_id"] == response["X-Request-ID"]
    if code is not None:
        assert body["code"] == code
    return body
