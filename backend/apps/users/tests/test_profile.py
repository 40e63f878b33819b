import pytest
from django.urls import reverse

from apps.users.models import User
from testing import PASSWORD, assert_error, make_user

pytestmark = pytest.mark.django_db

ME = "/api/users/me/"
PASSWORD_CHANGE = "/api/users/me/password/"


def test_me_requires_authentication(api):
    assert_error(api.get(ME), 401, "not_authenticated")


def test_me_returns_the_caller_in_at_most_one_query(user_api, user, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = user_api.get(ME)

    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_me_updates_names_and_email(user_api, user):
    response = user_api.patch(ME, {"first_name": "Uma", "email": "Uma@Example.com"}, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.first_name, user.email) == ("Uma", "uma@example.com")


def test_me_cannot_take_an_email_in_use(user_api, user, other_user):
    body = assert_error(user_api.patch(ME, {"email": "OTHER@example.com"}, format="json"), 400, "invalid")

    assert "email" in body["errors"]
    user.refresh_from_db()
    assert user.email == "user@example.com"


def test_me_cannot_grant_itself_privileges_through_any_field(user_api, user):
    payload = {"is_staff": True, "is_superuser": True, "is_active": False, "password": "x", "id": 999}

    response = user_api.patch(ME, payload, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser, user.is_active, user.pk) == (False, False, True, user.pk)
    assert user.check_password(PASSWORD)


def test_put_and_delete_on_me_are_not_allowed(user_api):
    assert_error(user_api.put(ME, {}, format="json"), 405, "method_not_allowed")
    assert_error(user_api.delete(ME), 405, "method_not_allowed")


def test_password_change_needs_the_current_password(user_api, user):
    payload = {"current_password": "wrong-password-1", "new_password": "brand-New-secret-42"}

    body = assert_error(user_api.post(PASSWORD_CHANGE, payload, format="json"), 400, "invalid")

    assert "current_password" in body["errors"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_validates_the_new_password(user_api, user):
    payload = {"current_password": PASSWORD, "new_password": "123"}

    body = assert_error(user_api.post(PASSWORD_CHANGE, payload, format="json"), 400, "invalid")

    assert "new_password" in body["errors"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_hashes_the_current_password_once(user_api, user, monkeypatch):
    # Argon2id costs about 200 ms of CPU: authenticate() verifies it, the service must not verify it again.
    verified = []
    check_password = User.check_password

    def counted(self: User, raw_password: str) -> bool:
        verified.append(raw_password)
        return check_password(self, raw_password)

    monkeypatch.setattr(User, "check_password", counted)
    payload = {"current_password": PASSWORD, "new_password": "brand-New-secret-42"}

    assert user_api.post(PASSWORD_CHANGE, payload, format="json").status_code == 204

    assert verified == [PASSWORD]


def test_password_change_then_login_with_the_new_one(user_api, api, user):
    payload = {"current_password": PASSWORD, "new_password": "brand-New-secret-42"}

    assert user_api.post(PASSWORD_CHANGE, payload, format="json").status_code == 204

    login = api.post("/api/token/", {"email": user.email, "password": "brand-New-secret-42"}, format="json")
    assert login.status_code == 200
    assert_error(api.post("/api/token/", {"email": user.email, "password": PASSWORD}, format="json"), 401)


def test_user_str_is_the_full_name():
    # Ported from the original template's suite.
    assert str(make_user("john@example.com", first_name="John", last_name="Doe")) == "John Doe"


def test_user_str_falls_back_to_the_email():
    assert str(make_user("Str@Example.com")) == "str@example.com"


def test_admin_user_list_shows_the_full_name(client):
    admin = make_user("root@example.com", is_staff=True, is_superuser=True)
    make_user("john@example.com", first_name="John", last_name="Doe")
    client.force_login(admin)

    response = client.get(reverse("admin:users_user_changelist"))

    assert response.status_code == 200
    assert "John Doe" in response.content.decode()


def test_natural_key_lookup_ignores_case():
    user = make_user("case@example.com")
    assert User.objects.get_by_natural_key("CASE@example.COM") == user
