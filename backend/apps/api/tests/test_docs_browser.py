"""Swagger UI and ReDoc render in a real Chromium under the production Content-Security-Policy, enforced.

Header tests can't tell whether a policy breaks a page; only a browser that enforces it can.
"""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Error, Page, Request, Response, Route, sync_playwright
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from config.settings.parsing import csp_settings, parse_csp_policy

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CSP_VIOLATION = "violates the following Content Security Policy directive"
RENDER_TIMEOUT_MS = 15_000
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@dataclass
class DocsPage:
    """A browser page on the live server, and everything it reported while loading."""

    page: Page
    origin: str
    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    failed_responses: list[str] = field(default_factory=list)

    def open(self, path: str) -> dict[str, str]:
        """Load `path`; return the document's response headers."""
        response = self.page.goto(self.origin + path, wait_until="load")
        assert response is not None
        assert response.status == 200, response.status
        return response.headers

    def operation_count(self) -> int:
        """How many operations the schema behind both pages declares."""
        schema: dict[str, Any] = self.page.request.get(self.origin + "/schema/?format=json").json()
        return sum(method in HTTP_METHODS for item in schema["paths"].values() for method in item)

    def assert_clean(self, screenshot: Path) -> None:
        """Once the network is quiet: no CSP violation, no uncaught error, no failed or foreign request."""
        self.page.wait_for_load_state("networkidle")
        # Kept in pytest's tmp directory, for seeing what the browser drew when an assertion fails.
        self.page.screenshot(path=screenshot)
        assert not [text for text in self.console if CSP_VIOLATION in text], self.console
        assert not self.page_errors, self.page_errors
        assert not self.foreign_requests, self.foreign_requests
        assert not self.failed_responses, self.failed_responses


@pytest.fixture
def chromium() -> str:
    """CHROMIUM_PATH (the Nix shell sets it on Linux; on macOS point it at Google Chrome), else `chromium` on PATH."""
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if path is None or not os.access(path, os.X_OK):
        reason = (
            f"no Chromium ({path or 'none on PATH'}): `nix develop` on Linux, `apt-get install chromium`, or set"
            " CHROMIUM_PATH (macOS: /Applications/Google Chrome.app/Contents/MacOS/Google Chrome)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    return path


@pytest.fixture
def production_csp(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The policy production ships, enforced: a developer's CSP_* variables in `.env` don't weaken it."""
    for name in ("CSP_ENABLED", "CSP_REPORT_ONLY", "CSP_POLICY"):
        monkeypatch.delenv(name, raising=False)
    enforced, report_only = csp_settings(report_only_default=False)
    assert enforced is not None
    assert report_only is None
    # django-csp reads these settings on every response, so the live server's thread sees the override.
    settings.CONTENT_SECURITY_POLICY = enforced
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = None
    directives: dict[str, list[str]] = enforced["DIRECTIVES"]
    return directives


@pytest.fixture
def docs(chromium: str, live_server: LiveServer, production_csp: dict[str, list[str]]) -> Iterator[DocsPage]:
    # Playwright's sync API keeps an event loop running in this thread, where Django refuses ORM calls
    # (SynchronousOnlyOperation): function scope stops it before live_server's transactional_db flushes.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        docs = DocsPage(page=page, origin=live_server.url)

        def same_origin_only(route: Route, request: Request) -> None:
            # Aborted, not let through: the test must neither depend on nor wait for the internet.
            parts = urlsplit(request.url)
            if f"{parts.scheme}://{parts.netloc}" == docs.origin:
                route.continue_()
            else:
                docs.foreign_requests.append(request.url)
                route.abort()

        def on_console(message: ConsoleMessage) -> None:
            docs.console.append(message.text)

        def on_page_error(error: Error) -> None:
            docs.page_errors.append(str(error))

        def on_response(response: Response) -> None:
            if response.status >= 400:
                docs.failed_responses.append(f"{response.status} {response.url}")

        page.route("**/*", same_origin_only)
        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        page.on("response", on_response)
        yield docs
        browser.close()


def assert_enforced(headers: dict[str, str], directives: dict[str, list[str]]) -> None:
    assert parse_csp_policy(headers["content-security-policy"]) == directives
    assert "content-security-policy-report-only" not in headers


def test_swagger_ui_renders_under_enforced_csp(
    docs: DocsPage, production_csp: dict[str, list[str]], tmp_path: Path
) -> None:
    assert_enforced(docs.open("/schema/swagger-ui/"), production_csp)

    for path in ("/api/users/", "/api/token/"):
        docs.page.locator(f'.opblock-summary-path[data-path="{path}"]').first.wait_for(timeout=RENDER_TIMEOUT_MS)
    assert docs.page.locator(".opblock").count() == docs.operation_count()
    docs.assert_clean(tmp_path / "swagger-ui.png")


def test_redoc_renders_under_enforced_csp(docs: DocsPage, production_csp: dict[str, list[str]], tmp_path: Path) -> None:
    assert_enforced(docs.open("/schema/redoc/"), production_csp)

    headings = docs.page.locator('[data-section-id^="operation/"] h2')
    headings.first.wait_for(timeout=RENDER_TIMEOUT_MS)
    assert headings.count() == docs.operation_count()
    docs.assert_clean(tmp_path / "redoc.png")
