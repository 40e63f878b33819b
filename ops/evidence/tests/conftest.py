"""Fixtures for the checks of the running stack (`just up`).

Layout, ports and the Grafana login come from the stack driver itself (ops.stack), so the tests
see exactly what the services were started with (env, .env, .data/secrets.env).
"""

from collections.abc import Callable
from typing import Any

import pytest
import requests

from ops.stack import services as stack_services
from ops.stack.compose import ProcessCompose
from ops.stack.layout import Stack


@pytest.fixture(scope="session")
def stack() -> Stack:
    return Stack.load()


@pytest.fixture(scope="session")
def pc(stack: Stack) -> ProcessCompose:
    """The process-compose client of the stack (`pc.run("process", "stop", "api-2")`, `pc.processes()`)."""
    return ProcessCompose(stack)


@pytest.fixture(scope="session")
def processes(pc: ProcessCompose) -> list[dict[str, Any]]:
    procs = pc.processes() if pc.answers() else []
    if "api" not in {p["name"] for p in procs if p["status"] != "Disabled"}:
        pytest.skip("the stack's API is not running: `just up` first")
    return procs


@pytest.fixture(scope="session")
def services(processes: list[dict[str, Any]]) -> list[str]:
    """The long-running services of the stack as started (what a restart must bring back)."""
    one_shots = {s.init.name for s in stack_services.SERVICES if s.init}
    return sorted(p["name"] for p in processes if p["status"] != "Disabled" and p["name"] not in one_shots)


@pytest.fixture(scope="session")
def api_url(stack: Stack, processes: list[dict[str, Any]]) -> str:
    return f"http://127.0.0.1:{stack.port('api')}"


@pytest.fixture(scope="session")
def prometheus_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.port('prometheus')}"


@pytest.fixture(scope="session")
def prom_query(prometheus_url: str) -> Callable[..., list[dict[str, Any]]]:
    def query(expr: str, at: float | None = None) -> list[dict[str, Any]]:
        # `at` (unix time): several queries evaluated at one instant see the same samples.
        params = {"query": expr} if at is None else {"query": expr, "time": f"{at:.3f}"}
        resp = requests.get(f"{prometheus_url}/api/v1/query", params=params, timeout=10)
        assert resp.status_code == 200, f"{expr}: {resp.status_code} {resp.text}"
        body = resp.json()
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    return query


@pytest.fixture
def report(capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Prints a measured figure in the test output, after the test's name ("faults: ...")."""
    suite = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")

    def emit(line: str) -> None:
        with capsys.disabled():
            print(f"\n    {suite}: {line}", end="")

    return emit
