"""Helpers of the stack tests: waiting, restarting the stack, the dashboard's queries, missing tools."""

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import psutil
import pytest

from ops import required_tools
from ops.stack import driver
from ops.stack.layout import STACK_DIR

DASHBOARD = STACK_DIR / "grafana" / "dashboards" / "api.json"

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
    """The stack driver's command line (`down`, `up api`, `psql -c ...`), as `just` runs it."""
    return driver.run_cli(*args, env={**os.environ, **(extra_env or {})}, timeout=timeout)


def require_tool(name: str, how: str) -> str:
    """The tool's path; missing, the test fails or skips as `ops.required_tools` decides."""
    try:
        return required_tools.require_tool(name, how)
    except required_tools.ToolMissing:
        unavailable(name, f"{name} is not installed: {how}")


def unavailable(tool: str, message: str) -> NoReturn:
    """Fails or skips as `ops.required_tools.must_fail` decides; either way the message says how to get it."""
    if required_tools.must_fail(tool):
        pytest.fail(message)
    pytest.skip(message)


def worker_pids(master: int) -> set[int]:
    """Live children of a gunicorn master (zombies not yet reaped excluded)."""
    alive = set()
    for child in psutil.Process(master).children():
        with contextlib.suppress(psutil.NoSuchProcess):
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.add(child.pid)
    return alive
