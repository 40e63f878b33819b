"""Staff administration, and the holes the original template had: nobody below superuser
may change, delete or promote a privileged account, and non-staff can't touch anyone."""

import pytest

from apps.users.models import User
from testing import PASSWORD, assert_error, make_user

pytestmark = pytest.mark.django_db

USERS = "/api/users/"


def detail(user: User) -> str:
    return f"/api/users/{user.pk}/"


def test_non_staff_cannot_list_read_change_or_delete_other_accounts(user_api, other_user):
    assert_error(user_api.get(USERS), 403, "permission_denied")
    assert_error(user_api.get(detail(other_user)), 403)
    assert_error(user_api.patch(detail(other_user), {"email": "taken@example.com"}, format="json"), 403)
    assert_error(user_api.delete(detail(other_user)), 403)

    other_user.refresh_from_db()
    assert other_user.email == "other@example.com"


@pytest.mark.parametrize("method", ["TRACE", "PUT"])
def test_a_method_the_schema_lacks_is_a_405_for_a_normal_user(user_api, other_user, method):
    assert_error(user_api.generic(method, USERS), 405, "method_not_allowed")
    assert_error(user_api.generic(method, detail(other_user)), 405, "method_not_allowed")


def test_non_staff_cannot_change_the_superusers_password_or_email(user_api, superuser):
    assert_error(user_api.patch(detail(superuser), {"email": "me@evil.test", "password": "x"}, format="json"), 403)

    superuser.refresh_from_db()
    assert superuser.email == "root@example.com"
    assert superuser.check_password(PASSWORD)


def test_anonymous_gets_401_everywhere_but_sign_up(api, user):
    assert_error(api.get(USERS), 401, "not_authenticated")
    assert_error(api.get(detail(user)), 401)
    assert_error(api.delete(detail(user)), 401)


def test_staff_lists_users_paginated(staff_api, staff):
    for index in range(25):
        make_user(f"person{index}@example.com")

    first = staff_api.get(USERS).json()
    capped = staff_api.get(USERS, {"page_size": 1000}).json()

    assert first["count"] == 26
    assert len(first["results"]) == 20
    assert first["next"].endswith("page=2")
    assert len(capped["results"]) == 26  # capped at 100, and all 26 fit
    assert all("password" not in row for row in first["results"])


def test_page_out_of_range_is_a_json_404(staff_api):
    assert_error(staff_api.get(USERS, {"page": 99}), 404, "not_found")


def test_staff_reads_and_updates_an_ordinary_account(staff_api, user):
    assert staff_api.get(detail(user)).json()["email"] == user.email

    response = staff_api.patch(detail(user), {"last_name": "Renamed", "is_active": False}, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.last_name, user.is_active) == ("Renamed", False)


@pytest.mark.parametrize("target_kind", ["superuser", "other_staff"])
def test_staff_cannot_change_or_delete_privileged_accounts(staff_api, superuser, target_kind):
    target = superuser if target_kind == "superuser" else make_user("staff2@example.com", is_staff=True)

    assert_error(staff_api.patch(detail(target), {"email": "owned@example.com"}, format="json"), 403)
    assert_error(staff_api.delete(detail(target)), 403)

    target.refresh_from_db()
    assert target.email != "owned@example.com"


def test_only_a_superuser_grants_staff(staff_api, superuser_api, user):
    assert_error(staff_api.patch(detail(user), {"is_staff": True}, format="json"), 403)
    user.refresh_from_db()
    assert not user.is_staff

    assert superuser_api.patch(detail(user), {"is_staff": True}, format="json").status_code == 200
    user.refresh_from_db()
    assert user.is_staff


def test_nobody_changes_their_own_access_through_the_staff_api(superuser_api, superuser):
    assert_error(superuser_api.patch(detail(superuser), {"is_active": False}, format="json"), 403)
    assert_error(superuser_api.delete(detail(superuser)), 403)

    superuser.refresh_from_db()
    assert superuser.is_active


def test_staff_changes_email_only_to_a_free_address(staff_api, user, other_user):
    body = assert_error(staff_api.patch(detail(user), {"email": other_user.email}, format="json"), 400, "invalid")

    assert "email" in body["errors"]


def test_staff_deletes_an_ordinary_account(staff_api, user):
    assert staff_api.delete(detail(user)).status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()


def test_superuser_deletes_a_staff_account(superuser_api, staff):
    assert superuser_api.delete(detail(staff)).status_code == 204
    assert not User.objects.filter(pk=staff.pk).exists()


def test_missing_account_is_a_json_404(staff_api):
    assert_error(staff_api.get("/api/users/987654/"), 404, "not_found")
