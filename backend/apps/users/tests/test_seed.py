"""`manage.py seed`: sample accounts, the superuser from the environment, idempotent, local databases only."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.users.models import User
from testing import PASSWORD

pytestmark = pytest.mark.django_db


def seed(**options: int) -> str:
    out = StringIO()
    call_command("seed", stdout=out, **options)
    return out.getvalue()


def accounts() -> list[tuple[object, ...]]:
    """Every account, every column: what "nothing changed" compares."""
    return list(User.objects.order_by("email").values_list())


def test_seed_twice_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Boss@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    first = seed(staff=2, users=4)
    after_first = accounts()
    second = seed(staff=2, users=4)

    assert accounts() == after_first
    assert "superuser boss@example.com created" in first
    assert "0 sample accounts created, 7 accounts in all" in second
    boss = User.objects.get(email="boss@example.com")
    assert (boss.is_superuser, boss.is_staff, boss.check_password(PASSWORD)) == (True, True, True)
    staff = User.objects.filter(is_staff=True, is_superuser=False)
    assert sorted(staff.values_list("email", flat=True)) == ["staff1@example.com", "staff2@example.com"]
    users = User.objects.filter(is_staff=False)
    assert users.count() == 4
    # Sample accounts have names, and no password anyone could guess.
    assert all(u.first_name and u.last_name and not u.has_usable_password() for u in users)


def test_a_generated_password_is_printed_once_and_works(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DJANGO_SUPERUSER_EMAIL", raising=False)
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    first = seed(staff=0, users=0)
    shown = re.search(r"shown this once: (\S+)", first)
    assert shown, first
    admin = User.objects.get(email="admin@example.com")
    assert (admin.is_superuser, admin.check_password(shown.group(1))) == (True, True)

    second = seed(staff=0, users=0)
    assert "password" not in second
    admin.refresh_from_db()
    assert admin.check_password(shown.group(1))


def test_an_existing_account_is_made_superuser_with_the_env_password(monkeypatch: pytest.MonkeyPatch) -> None:
    User.objects.create_user(email="boss@example.com", password="an-older-Password-1")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "boss@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    assert "superuser boss@example.com updated" in seed(staff=0, users=0)
    boss = User.objects.get(email="boss@example.com")
    assert (boss.is_superuser, boss.check_password(PASSWORD)) == (True, True)


def test_a_weak_superuser_password_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "123")
    with pytest.raises(CommandError, match=r"DJANGO_SUPERUSER_PASSWORD: .*too short"):
        seed()
    assert not User.objects.exists()


@pytest.mark.parametrize("host", ["db.example.com", "10.0.0.5", "[::1].example.org"])
def test_refuses_a_database_elsewhere(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.setitem(connection.settings_dict, "HOST", host)
    with pytest.raises(CommandError, match=f"only against a local database .* on {re.escape(host)}"):
        seed()
    assert not User.objects.exists()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1", "/run/postgresql"])
def test_local_hosts_and_sockets_are_fine(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.setitem(connection.settings_dict, "HOST", host)
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    assert "2 sample accounts created" in seed(staff=1, users=1)
