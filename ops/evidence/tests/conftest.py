"""Fixtures for the checks of the running workspace stack (`just up`).

Layout, ports and the Grafana login come from `ops/stack.sh vars`, so the tests
see exactly what the services were started with (env, .env, .data/secrets.env).
"""

import json
import os
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests

OPS_DIR = Path(__file__).resolve().parents[1]
STACK = OPS_DIR / "stack.sh"
DASHBOARD = OPS_DIR / "grafana" / "dashboards" / "api.json"
ONE_SHOTS = {"migrate", "postgres-init", "mysql-init"}

# What Grafana substitutes in queries, with values that suit a 5 s scrape interval.
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "${__rate_interval}": "1m",
    "$__interval_ms": "15000",
    "$__interval": "15s",
    "${__interval}": "15s",
    "$__range_s": "300",
    "$__range_ms": "300000",
    "$__range": "5m",
    "${__range}": "5m",
}


def substitute(expr: str) -> str:
    for name in sorted(GRAFANA_VARIABLES, key=len, reverse=True):
        expr = expr.replace(name, GRAFANA_VARIABLES[name])
    assert "$" not in expr, f"unsubstituted variable in {expr!r}"
    return expr


def dashboard_targets() -> list[tuple[str, str]]:
    """(panel title, query) for every query of the API dashboard."""
    dashboard = json.loads(DASHBOARD.read_text())
    return [(panel["title"], target["expr"]) for panel in dashboard["panels"] for target in panel.get("targets", [])]


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Calls `check` every 2 s until it returns something truthy, which it returns; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(2)
    pytest.fail(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def run_stack(
    *args: str, timeout: float = 300, extra_env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # pytest-django exports DJANGO_SETTINGS_MODULE=config.settings.test: a stack restarted
    # from here must not inherit it (the API would run the test settings).
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(extra_env or {})
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
    # PROC_COMP_CONFIG as ops/stack.sh sets it (otherwise the client logs about a missing config home).
    env = {**os.environ, "PROC_COMP_CONFIG": f"{stack_vars['DATA_DIR']}/process-compose"}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, env=env)


def process_list(stack_vars: dict[str, str]) -> list[dict[str, Any]]:
    """`process-compose process list -o json` against the stack's control socket."""
    out = process_compose(stack_vars, "process", "list", "-o", "json")
    assert out.returncode == 0, f"process-compose is not answering on {stack_vars['PC_SOCKET']}: {out.stderr}"
    data = json.loads(out.stdout)
    procs: list[dict[str, Any]] = data["data"] if isinstance(data, dict) else data
    return procs


def proc(stack_vars: dict[str, str], name: str) -> dict[str, Any]:
    (found,) = [p for p in process_list(stack_vars) if p["name"] == name]
    return found


def is_ready(p: dict[str, Any]) -> bool:
    """Running, and ready if it has a readiness probe."""
    return bool(p["status"] == "Running" and (not p.get("has_ready_probe") or p.get("is_ready") == "Ready"))


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    pairs = (item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)
    return dict(pairs)


def worker_pids(master: int) -> set[int]:
    """Live children of a gunicorn master (zombies not yet reaped excluded)."""
    kids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Fields after the command name, which may itself contain ") ": state, ppid, ...
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == master and state != "Z":
            kids.add(int(entry.name))
    return kids


@pytest.fixture(scope="session")
def processes(stack_vars: dict[str, str]) -> list[dict[str, Any]]:
    procs = process_list(stack_vars)
    running = {p["name"] for p in procs if p["status"] != "Disabled"}
    if "api" not in running:
        pytest.skip("the stack's API is not running: `just up` first")
    return procs


@pytest.fixture(scope="session")
def services(processes: list[dict[str, Any]]) -> list[str]:
    """The long-running services of the stack as started (what a restart must bring back)."""
    return sorted(p["name"] for p in processes if p["status"] != "Disabled" and p["name"] not in ONE_SHOTS)


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
