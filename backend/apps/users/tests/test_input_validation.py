"""Input is taken only as the schema describes it: what the schema refuses, the API refuses."""

import pytest

from apps.users.models import User
from testing import PASSWORD, assert_error, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_names_must_be_text_not_numbers(api, field):
    payload = {"email": "n@example.com", "password": PASSWORD, field: 42}

    body = assert_error(api.post("/api/users/", payload, format="json"), 400, "invalid")

    assert field in body["errors"]
    assert not User.objects.exists()


@pytest.mark.parametrize("value", ["yes", 1, "true", None])
def test_flags_must_be_json_booleans(staff_api, user, value):
    response = staff_api.patch(f"/api/users/{user.pk}/", {"is_active": value}, format="json")

    assert_error(response, 400, "invalid")
    user.refresh_from_db()
    assert user.is_active


def test_passwords_are_kept_exactly_as_typed(api):
    spaced = f"  {PASSWORD}  "

    assert api.post("/api/users/", {"email": "s@example.com", "password": spaced}, format="json").status_code == 201

    assert api.post("/api/token/", {"email": "s@example.com", "password": spaced}, format="json").status_code == 200
    assert_error(api.post("/api/token/", {"email": "s@example.com", "password": PASSWORD}, format="json"), 401)


@pytest.mark.parametrize("email", [f"{'a' * 65}@example.com", f"{'İ' * 130}@example.com", "no-at-sign", "a@b"])
def test_emails_beyond_what_mail_and_the_column_allow_are_refused(api, email):
    body = assert_error(api.post("/api/users/", {"email": email, "password": PASSWORD}, format="json"), 400)

    assert "email" in body["errors"]
    assert not User.objects.exists()


def test_nul_characters_are_refused(api):
    payload = {"email": "nul@example.com", "password": PASSWORD, "first_name": "a\x00b"}

    assert_error(api.post("/api/users/", payload, format="json"), 400, "invalid")


@pytest.mark.parametrize(
    "query", [{"page": "abc"}, {"page": "0"}, {"page_size": "0"}, {"page_size": "-5"}, {"page": ""}]
)
def test_page_parameters_must_be_positive_integers(staff_api, query):
    body = assert_error(staff_api.get("/api/users/", query), 400, "invalid")

    assert set(query) <= body["errors"].keys()


def test_page_size_is_honoured_up_to_the_cap(staff_api, staff):
    for index in range(3):
        make_user(f"p{index}@example.com")

    page = staff_api.get("/api/users/", {"page_size": "2", "page": "2"}).json()

    assert page["count"] == 4
    assert len(page["results"]) == 2
    assert page["previous"] is not None
