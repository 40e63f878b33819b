"""Fixtures shared by every app's tests: an API client, users, and tokens (helpers: the `testing` package)."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.users.models import User
from testing import PASSWORD, client_for, make_user


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that wait for work started in the background run last, so it has the session to finish.

    A stable sort after pytest-django's own ordering: such modules hold no `db` tests (their work runs
    in other processes), so none moves behind a transactional one."""
    items.sort(key=lambda item: hasattr(getattr(item, "module", None), "start_in_background"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the slow subprocesses of the selected test modules now, so they run beside the suite."""
    if session.config.option.collectonly:
        return
    modules = {item.module for item in session.items if isinstance(item, pytest.Function)}
    for module in modules:
        start = getattr(module, "start_in_background", None)
        if start is not None:
            start()


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


@pytest.fixture
def user_api(user: User) -> APIClient:
    return client_for(user)


@pytest.fixture
def staff_api(staff: User) -> APIClient:
    return client_for(staff)


@pytest.fixture
def superuser_api(superuser: User) -> APIClient:
    return client_for(superuser)
