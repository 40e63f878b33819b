"""Swagger UI and ReDoc render in a real Chromium under the production Content-Security-Policy, enforced.

Header tests can't tell whether a policy breaks a page; only a browser that enforces it can. The visit
is slow (a server, a browser, two pages), so it starts when collection ends (backend/testing/background.py),
in a thread of its own against gunicorn in a subprocess, and runs beside the other tests; the tests
below check what it saw.
"""

import functools
import os
import shutil
import tempfile
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Request, Response, Route, sync_playwright

from config.settings.parsing import DEFAULT_CSP_POLICY, parse_csp_policy
from ops.evidence import gunicorn_server
from testing import background, server_test_env

pytestmark = pytest.mark.browser

BACKEND = Path(__file__).resolve().parents[3]
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


@dataclass(frozen=True)
class DocsPage:
    """A page to visit: its path, what shows it has rendered, and what to count once it has."""

    path: str
    rendered: tuple[str, ...]  # selectors to wait for
    operation: str  # selector of one drawn operation


PAGES = {
    "swagger-ui": DocsPage(
        "/schema/swagger-ui/",
        rendered=tuple(f'.opblock-summary-path[data-path="{path}"]' for path in ("/api/users/", "/api/token/")),
        operation=".opblock",
    ),
    "redoc": DocsPage(
        "/schema/redoc/",
        rendered=('[data-section-id^="operation/"] h2',),
        operation='[data-section-id^="operation/"] h2',
    ),
}


@dataclass
class Visit:
    """What the browser reported while loading one page."""

    headers: dict[str, str] = field(default_factory=dict)
    drawn: int = 0  # operations on the page
    error: str | None = None  # the page never rendered (a timeout), or the server refused it
    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    failed_responses: list[str] = field(default_factory=list)


@dataclass
class Tour:
    operations: int  # what the schema behind both pages declares
    visits: dict[str, Visit]
    screenshots: Path  # what the browser drew, for when an assertion fails


def chromium_path() -> str | None:
    """CHROMIUM_PATH (the Nix shell sets it on Linux; on macOS point it at Google Chrome), else `chromium` on PATH."""
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    return path if path is not None and os.access(path, os.X_OK) else None


def server_env(directory: Path, port: int) -> dict[str, str]:
    """The test settings with production's policy enforced, every value set: a developer's CSP_* in
    `.env` must not weaken it."""
    return server_test_env(
        directory,
        port,
        CSP_ENABLED="True",
        CSP_REPORT_ONLY="False",
        CSP_POLICY=DEFAULT_CSP_POLICY,
        ALLOWED_HOSTS="127.0.0.1",
        WEB_CONCURRENCY="1",
    )


def visit(browser: Browser, origin: str, page_to_visit: DocsPage, screenshot: Path) -> Visit:
    seen = Visit()
    page = browser.new_page(viewport={"width": 1280, "height": 1000})

    def same_origin_only(route: Route, request: Request) -> None:
        # Aborted, not let through: the test must neither depend on nor wait for the internet.
        parts = urlsplit(request.url)
        if f"{parts.scheme}://{parts.netloc}" == origin:
            route.continue_()
        else:
            seen.foreign_requests.append(request.url)
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        seen.console.append(message.text)

    def on_page_error(error: Error) -> None:
        seen.page_errors.append(str(error))

    def on_response(response: Response) -> None:
        if response.status >= 400:
            seen.failed_responses.append(f"{response.status} {response.url}")

    page.route("**/*", same_origin_only)
    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)
    try:
        response = page.goto(origin + page_to_visit.path, wait_until="load")
        if response is None or response.status != 200:
            seen.error = f"{page_to_visit.path}: {response.status if response else 'no response'}"
            return seen
        seen.headers = response.headers
        for selector in page_to_visit.rendered:
            page.locator(selector).first.wait_for(timeout=RENDER_TIMEOUT_MS)
        seen.drawn = page.locator(page_to_visit.operation).count()
        # Once the network is quiet, so a late failed request or violation is seen too.
        page.wait_for_load_state("networkidle")
        page.screenshot(path=screenshot)
    except Error as exc:
        seen.error = f"{page_to_visit.path}: {exc}"
    finally:
        page.close()
    return seen


def tour(chromium: str, directory: Path) -> Tour:
    """Both pages in one Chromium, against gunicorn serving the app with the policy enforced."""
    port = gunicorn_server.free_port()
    env, log = server_env(directory, port), directory / "gunicorn.log"
    server = gunicorn_server.start(["config.wsgi"], port=port, cwd=BACKEND, env=env, log_path=log)
    with gunicorn_server.serving(server), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            schema: dict[str, Any] = browser.new_context().request.get(server.url + "/schema/?format=json").json()
            operations = sum(method in HTTP_METHODS for item in schema["paths"].values() for method in item)
            visits = {name: visit(browser, server.url, page, directory / f"{name}.png") for name, page in PAGES.items()}
        finally:
            browser.close()
    return Tour(operations, visits, directory)


@functools.cache
def start_in_background() -> Future[Tour] | None:
    """The tour, started once; backend/conftest.py calls this when collection ends. None without Chromium."""
    chromium = chromium_path()
    if chromium is None:
        return None
    return background.run(tour, chromium, Path(tempfile.mkdtemp(prefix="docs-browser-")))


@pytest.fixture(scope="module")
def docs_tour(tmp_path_factory: pytest.TempPathFactory) -> Tour:
    started = start_in_background()
    if started is None:
        reason = (
            "no Chromium (CHROMIUM_PATH, or `chromium` on PATH): `nix develop` on Linux, `apt-get install chromium`,"
            " or set CHROMIUM_PATH (macOS: /Applications/Google Chrome.app/Contents/MacOS/Google Chrome)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    done = started.result()
    # Into pytest's temporary directory, which keeps the last runs' files: what the browser drew.
    kept = tmp_path_factory.mktemp("docs-browser")
    for path in done.screenshots.iterdir():
        shutil.move(path, kept / path.name)
    done.screenshots.rmdir()
    return Tour(done.operations, done.visits, kept)


def check_page(docs_tour: Tour, name: str) -> None:
    seen = docs_tour.visits[name]
    screenshot = docs_tour.screenshots / f"{name}.png"
    assert seen.error is None, f"{seen.error}\nconsole: {seen.console}\npage errors: {seen.page_errors}"
    assert parse_csp_policy(seen.headers["content-security-policy"]) == parse_csp_policy(DEFAULT_CSP_POLICY)
    assert "content-security-policy-report-only" not in seen.headers
    assert seen.drawn == docs_tour.operations, f"{seen.drawn} of {docs_tour.operations} operations ({screenshot})"
    assert not [text for text in seen.console if CSP_VIOLATION in text], seen.console
    assert not seen.page_errors, seen.page_errors
    assert not seen.foreign_requests, seen.foreign_requests
    assert not seen.failed_responses, seen.failed_responses


def test_swagger_ui_renders_under_enforced_csp(docs_tour: Tour) -> None:
    check_page(docs_tour, "swagger-ui")


def test_redoc_renders_under_enforced_csp(docs_tour: Tour) -> None:
    check_page(docs_tour, "redoc")
