"""Development settings in a GitHub Codespace: Swagger and the admin login work through the forwarded URL.

Codespaces forwards https://<codespace>-<port>.<domain> to the API's plain-http port and passes the
forwarded host on in Host and X-Forwarded-Host; the browser's Origin is the https URL.
"""

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from testing import load_settings

CODESPACE = {"CODESPACE_NAME": "fuzzy-space-guide-7x9q", "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN": "app.github.dev"}
FORWARDED_HOST = "fuzzy-space-guide-7x9q-8000.app.github.dev"
ADMIN_PASSWORD = "Forwarded-port-admin-42"


def forwarded(**extra: str) -> dict[str, Any]:
    """The headers a request through the Codespaces port forwarder arrives with."""
    return {
        "HTTP_HOST": FORWARDED_HOST,
        "HTTP_X_FORWARDED_HOST": FORWARDED_HOST,
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_FOR": "203.0.113.7",
        **extra,
    }


def development_settings(settings: Settings, **env: str | None) -> None:
    """Apply the host and origin rules development settings derive from this environment."""
    with load_settings("development", API_PORT="8000", **env) as development:
        settings.ALLOWED_HOSTS = development.ALLOWED_HOSTS
        settings.CSRF_TRUSTED_ORIGINS = development.CSRF_TRUSTED_ORIGINS


@pytest.fixture
def in_codespace(settings: Settings) -> None:
    development_settings(settings, **CODESPACE)


@pytest.fixture
def outside_codespace(settings: Settings) -> None:
    development_settings(settings, CODESPACE_NAME=None, GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN=None)


def test_development_trusts_the_forwarded_api_port_only_in_a_codespace() -> None:
    with load_settings("development", API_PORT="8000", **CODESPACE) as development:
        assert FORWARDED_HOST in development.ALLOWED_HOSTS
        assert f"https://{FORWARDED_HOST}" in development.CSRF_TRUSTED_ORIGINS
    with load_settings("development", CODESPACE_NAME=None) as development:
        assert not [host for host in development.ALLOWED_HOSTS if host.endswith(".app.github.dev")]


@pytest.mark.django_db
@pytest.mark.usefixtures("in_codespace")
def test_swagger_ui_through_the_forwarded_host() -> None:
    assert Client().get("/schema/swagger-ui/", **forwarded()).status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("outside_codespace")
def test_the_forwarded_host_is_refused_outside_a_codespace() -> None:
    assert Client().get("/schema/swagger-ui/", **forwarded()).status_code == 400


def admin_login(client: Client) -> int:
    """Log in to the admin as a browser on the forwarded URL does: form with its CSRF token, https Origin."""
    get_user_model().objects.create_user(email="admin@example.com", password=ADMIN_PASSWORD, is_staff=True)
    login = reverse("admin:login")
    assert client.get(login, **forwarded()).status_code == 200
    form = {
        "username": "admin@example.com",
        "password": ADMIN_PASSWORD,
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        "next": reverse("admin:index"),
    }
    origin = f"https://{FORWARDED_HOST}"
    response = client.post(login, form, **forwarded(HTTP_ORIGIN=origin, HTTP_REFERER=origin + login))
    assert response.status_code != 302 or response["Location"] == reverse("admin:index")
    return response.status_code


@pytest.mark.django_db
@pytest.mark.usefixtures("in_codespace")
def test_admin_login_through_the_forwarded_origin() -> None:
    assert admin_login(Client(enforce_csrf_checks=True)) == 302


@pytest.mark.django_db
def test_admin_login_from_the_forwarded_origin_is_refused_without_trusting_it(settings: Settings) -> None:
    development_settings(settings, **CODESPACE)
    settings.CSRF_TRUSTED_ORIGINS = []
    assert admin_login(Client(enforce_csrf_checks=True)) == 403
