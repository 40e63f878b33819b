"""Hostile and malformed input: always a 4xx in the one error shape, never a 500, nothing written."""

import json

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import RequestFactory

from apps.api import errors
from apps.users.models import User
from testing import PASSWORD, assert_error

pytestmark = pytest.mark.django_db

SIGN_UP = "/api/users/"


@pytest.fixture
def users_before(db) -> int:
    return User.objects.count()


def post_raw(api, body: bytes | str, content_type: str = "application/json"):
    return api.generic("POST", SIGN_UP, body, content_type=content_type)


def test_malformed_json_is_a_400(api, users_before):
    assert_error(post_raw(api, '{"email": '), 400, "parse_error")
    assert User.objects.count() == users_before


def test_deeply_nested_json_is_a_400_not_a_recursion_crash(api, users_before):
    assert_error(post_raw(api, "[" * 50_000 + "]" * 50_000), 400, "parse_error")
    assert User.objects.count() == users_before


def test_ten_megabyte_body_is_a_413(api, users_before):
    body = json.dumps({"email": "big@example.com", "password": PASSWORD, "pad": "x" * 10_000_000})

    assert_error(post_raw(api, body), 413, "payload_too_large")
    assert User.objects.count() == users_before


def test_wrong_content_type_is_a_415(api, users_before):
    assert_error(post_raw(api, "email=a@example.com", "application/x-www-form-urlencoded"), 415)
    assert_error(post_raw(api, "<user/>", "application/xml"), 415)
    assert User.objects.count() == users_before


def test_json_that_is_not_an_object_is_a_400(api, users_before):
    assert_error(post_raw(api, "[1, 2, 3]"), 400, "invalid")
    assert_error(post_raw(api, '"just a string"'), 400, "invalid")
    assert User.objects.count() == users_before


def test_invalid_utf8_is_a_400(api, users_before):
    assert_error(post_raw(api, b'{"email": "\xff\xfe"}'), 400, "parse_error")
    assert User.objects.count() == users_before


def test_unacceptable_accept_header_is_a_406(api):
    assert api.get("/api/users/me/", HTTP_ACCEPT="text/html").status_code == 406


def test_unknown_path_is_a_json_404(api):
    assert_error(api.get("/no/such/page/"), 404, "not_found")


def test_unsupported_method_is_a_json_405(api):
    assert_error(api.get("/api/token/"), 405, "method_not_allowed")


def test_disallowed_host_is_a_json_400(client):
    assert_error(client.get("/health/live/", HTTP_HOST="evil.example"), 400, "bad_request")


def test_django_level_handlers_share_the_shape():
    request = RequestFactory().get("/")

    assert json.loads(errors.server_error(request).content)["code"] == "server_error"
    assert errors.server_error(request).status_code == 500
    assert errors.permission_denied(request, PermissionError()).status_code == 403
    too_big = errors.bad_request(request, RequestDataTooBig())
    assert (too_big.status_code, json.loads(too_big.content)["code"]) == (413, "payload_too_large")


def test_request_data_too_big_from_django_becomes_a_413():
    response = errors.api_exception_handler(RequestDataTooBig(), {})

    assert response is not None
    assert response.status_code == 413
    assert response.data["code"] == "payload_too_large"


def test_non_api_exceptions_are_left_to_django():
    assert errors.api_exception_handler(ValueError("boom"), {}) is None
