"""Fixtures for the checks of the running workspace stack (`just up`).

Layout, ports and the Grafana login come from `ops/stack.sh vars`, so the tests
see exactly what the services were started with (env, .env, .data/secrets.env).
"""

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

OPS_DIR = Path(__file__).resolve().parents[1]
STACK = OPS_DIR / "stack.sh"


def run_stack(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    # pytest-django exports DJANGO_SETTINGS_MODULE=config.settings.test: a stack restarted
    # from here must not inherit it (the API would run the test settings).
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [str(STACK), *args], capture_output=True, text=True, timeout=timeout, check=False, cwd=OPS_DIR.parent, env=env
    )


@pytest.fixture(scope="session")
def stack_vars() -> dict[str, str]:
    out = run_stack("vars", timeout=30)
    assert out.returncode == 0, out.stderr
    return dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)


def process_compose(stack_vars: dict[str, str], *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """A process-compose client command (`process list`, `process stop api-2`, ...) against the stack."""
    log = f"{stack_vars['LOG_DIR']}/process-compose-client.log"
    command = ["process-compose", "-L", log, "-U", "-u", stack_vars["PC_SOCKET"], *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def process_list(stack_vars: dict[str, str]) -> list[dict[str, Any]]:
    """`process-compose process list -o json` against the stack's control socket."""
    out = process_compose(stack_vars, "process", "list", "-o", "json")
    assert out.returncode == 0, f"process-compose is not answering on {stack_vars['PC_SOCKET']}: {out.stderr}"
    data = json.loads(out.stdout)
    procs: list[dict[str, Any]] = data["data"] if isinstance(data, dict) else data
    return procs


@pytest.fixture(scope="session")
def processes(stack_vars: dict[str, str]) -> list[dict[str, Any]]:
    procs = process_list(stack_vars)
    running = {p["name"] for p in procs if p["status"] != "Disabled"}
    if "api" not in running:
        pytest.skip("the stack's API is not running: `just up` first")
    return procs


@pytest.fixture(scope="session")
def api_url(stack_vars: dict[str, str], processes: list[dict[str, Any]]) -> str:
    return f"http://127.0.0.1:{stack_vars['API_PORT']}"


@pytest.fixture(scope="session")
def prometheus_url(stack_vars: dict[str, str]) -> str:
    return f"http://127.0.0.1:{stack_vars['PROMETHEUS_PORT']}"


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
