import pytest
from django.core.management import call_command

from apps.users.models import User
from testing import PASSWORD, assert_error

pytestmark = pytest.mark.django_db

SIGN_UP = "/api/users/"


def test_sign_up_creates_an_account_and_never_returns_the_password(api):
    response = api.post(SIGN_UP, {"email": "New.Person@Example.COM", "password": PASSWORD}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new.person@example.com"
    assert "password" not in body
    assert body["is_staff"] is False
    user = User.objects.get(email="new.person@example.com")
    assert user.check_password(PASSWORD)
    assert user.password != PASSWORD


def test_sign_up_ignores_privilege_fields(api):
    payload = {"email": "sneaky@example.com", "password": PASSWORD, "is_staff": True, "is_superuser": True}

    response = api.post(SIGN_UP, payload, format="json")

    assert response.status_code == 201
    user = User.objects.get(email="sneaky@example.com")
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)


def test_duplicate_email_in_any_case_is_a_400_and_writes_nothing(api, user):
    response = api.post(SIGN_UP, {"email": "USER@example.com", "password": PASSWORD}, format="json")

    body = assert_error(response, 400, "invalid")
    assert "email" in body["errors"]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short", "too short"), ("password123", "too common"), ("8479301256", "entirely numeric")],
)
def test_weak_passwords_are_refused_by_djangos_validators(api, password, reason):
    response = api.post(SIGN_UP, {"email": "weak@example.com", "password": password}, format="json")

    body = assert_error(response, 400, "invalid")
    assert any(reason in message for message in body["errors"]["password"])
    assert not User.objects.exists()


def test_password_similar_to_the_email_is_refused(api):
    response = api.post(SIGN_UP, {"email": "margaretha@example.com", "password": "margaretha"}, format="json")

    assert_error(response, 400, "invalid")
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [{}, {"email": "a@example.com"}, {"password": PASSWORD}, {"email": "not-an-email", "password": PASSWORD}],
)
def test_incomplete_or_invalid_sign_up_is_a_400(api, payload):
    assert_error(api.post(SIGN_UP, payload, format="json"), 400, "invalid")
    assert not User.objects.exists()


def test_createsuperuser_reads_email_from_the_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Admin@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    call_command("createsuperuser", interactive=False, verbosity=0)

    admin = User.objects.get(email="admin@example.com")
    assert admin.is_superuser
    assert admin.is_staff
    assert admin.check_password(PASSWORD)


def test_admin_lists_users_for_a_superuser(client, superuser, user):
    client.force_login(superuser)

    response = client.get("/admin/users/user/")

    assert response.status_code == 200
    assert b"user@example.com" in response.content


def test_admin_login_page_renders(client):
    assert client.get("/admin/login/").status_code == 200
