"""The committed OpenAPI document (docs/openapi.yaml) is the API's contract: current, named for client
authors, and enough for a generated client to use the API."""

import functools
import importlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from pytest_django.live_server_helper import LiveServer

from config.env import BACKEND_DIR
from testing import background

COMMITTED = BACKEND_DIR.parent / "docs" / "openapi.yaml"
PASSWORD = "contract-Secret-42"
GENERATED_MODULES = (
    "client",
    "models",
    "api.auth.token_obtain",
    "api.users.users_sign_up",
    "api.users.users_me_retrieve",
    "api.users.users_me_update",
)


@functools.cache
def committed() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMMITTED.read_text())
    return document


def test_committed_schema_is_the_generated_one(tmp_path):
    generated = tmp_path / "openapi.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(generated))

    assert generated.read_text() == COMMITTED.read_text(), "docs/openapi.yaml is stale: run `just schema`"


def test_components_carry_the_names_client_authors_expect():
    names = set(committed()["components"]["schemas"])

    assert {"User", "PaginatedUserList", "SignUpRequest", "PatchedProfileUpdateRequest", "TokenPair"} <= names
    assert {"TokenObtainRequest", "PasswordChangeRequest", "PatchedStaffUserUpdateRequest", "Error"} <= names
    assert [name for name in names if "Input" in name or "Output" in name] == []  # serializer class names leaking


def test_public_operations_ask_for_no_credentials():
    paths = committed()["paths"]

    assert paths["/api/users/"]["post"]["security"] == []  # sign-up: no padlock in Swagger UI
    assert paths["/api/token/"]["post"]["security"] == []
    assert paths["/api/users/me/"]["get"]["security"] == [{"jwtAuth": []}]


@functools.cache
def start_in_background() -> tuple[Path, Future[subprocess.CompletedProcess[str]]]:
    """Generate a typed client from the committed schema with openapi-python-client (as the session starts)."""
    root = Path(tempfile.mkdtemp(prefix="generated-"))
    config = root / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run on the generated code
    generate = ["-m", "openapi_python_client", "generate", "--path", str(COMMITTED), "--meta", "none"]
    output = ["--config", str(config), "--output-path", str(root / "contract_client")]
    return root, background.run_python([*generate, *output], cwd=root)


@pytest.fixture(scope="module")
def client_package() -> Iterator[SimpleNamespace]:
    """The generated client, imported."""
    root, generated = start_in_background()
    result = generated.result()
    assert result.returncode == 0, result.stderr
    sys.path.insert(0, str(root))
    try:
        modules = {
            name.rpartition(".")[2]: importlib.import_module(f"contract_client.{name}") for name in GENERATED_MODULES
        }
        yield SimpleNamespace(**modules)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.partition(".")[0] == "contract_client"]:
            del sys.modules[name]
        shutil.rmtree(root, ignore_errors=True)


def test_generated_client_signs_up_logs_in_and_edits_the_profile(client_package, live_server: LiveServer):
    c, models = client_package, client_package.models
    anonymous = c.client.Client(base_url=live_server.url, raise_on_unexpected_status=True)
    sign_up = models.SignUpRequest(email="john@example.com", password=PASSWORD, first_name="John", last_name="Doe")

    created = c.users_sign_up.sync_detailed(client=anonymous, body=sign_up)
    duplicate = c.users_sign_up.sync(client=anonymous, body=sign_up)
    login = models.TokenObtainRequest(email="john@example.com", password=PASSWORD)
    pair = c.token_obtain.sync(client=anonymous, body=login)
    wrong = c.token_obtain.sync(client=anonymous, body=models.TokenObtainRequest(email=login.email, password="x"))

    assert created.status_code == 201
    assert isinstance(created.parsed, models.User)
    assert (created.parsed.email, created.parsed.first_name) == ("john@example.com", "John")
    assert isinstance(duplicate, models.Error)
    assert (duplicate.status, duplicate.code) == (400, "invalid")
    assert "email" in duplicate.errors.additional_properties
    assert isinstance(pair, models.TokenPair)
    assert isinstance(wrong, models.Error)
    assert wrong.status == 401

    me = c.client.AuthenticatedClient(base_url=live_server.url, token=pair.access, raise_on_unexpected_status=True)
    updated = c.users_me_update.sync(client=me, body=models.PatchedProfileUpdateRequest(first_name="Jane"))
    read_back = c.users_me_retrieve.sync(client=me)
    refused = c.users_me_retrieve.sync(client=anonymous)

    assert isinstance(updated, models.User)
    assert updated.first_name == "Jane"
    assert read_back == updated
    assert isinstance(refused, models.Error)
    assert (refused.status, refused.code) == (401, "not_authenticated")
