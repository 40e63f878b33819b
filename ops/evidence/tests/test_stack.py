"""Checks of the running workspace stack (`just up`, then `just test-stack`).

Every process is ready; the API's readiness reports PostgreSQL and Redis ok;
Prometheus scrapes the API and loaded the rules; every query of the Grafana
dashboard returns data from the live Prometheus; Grafana serves the dashboard.
"""

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from ops.stack.compose import ProcessCompose, is_ready
from ops.stack.layout import Stack
from ops.stack.services import GRAFANA

from .helpers import dashboard_targets, substitute, unavailable, wait_for

pytestmark = pytest.mark.stack

DASHBOARD_TARGETS = dashboard_targets()


# ------------------------------------------------------------------ processes


def not_ready(processes: list[dict[str, Any]]) -> list[str]:
    """Processes neither completed successfully nor running and ready, described."""
    found = []
    for proc in processes:
        status = proc["status"]
        if status == "Disabled":
            continue
        ok = proc["exit_code"] == 0 if status == "Completed" else is_ready(proc)
        if not ok:
            found.append(f"{proc['name']}: {status} {proc.get('is_ready')} exit={proc['exit_code']}")
    return found


def test_every_process_is_ready(stack: Stack, processes: list[dict[str, Any]]) -> None:
    # One slow probe on a busy machine marks a process "Not Ready" until the next one passes.
    wait_for(lambda: not not_ready(ProcessCompose(stack).processes()), 30, "every process ready")
    names = {proc["name"] for proc in processes if proc["status"] != "Disabled"}
    assert {"postgres", "redis", "api"} <= names  # one-shots are left out while their stamp matches


def test_health_reports_database_and_cache(api_url: str) -> None:
    # A Response is truthy when its status is below 400; one probe may meet a stall on a busy machine.
    resp = wait_for(lambda: requests.get(f"{api_url}/health/", timeout=10), 15, "/health/ 200")
    assert resp.json()["checks"] == {"database": "ok", "cache": "ok"}
    assert requests.get(f"{api_url}/health/live/", timeout=10).status_code == 200


def test_api_uses_postgres(api_url: str) -> None:
    """The stack's API talks to PostgreSQL: its query counter carries vendor="postgresql"."""
    requests.get(f"{api_url}/health/", timeout=10)
    metrics = requests.get(f"{api_url}/metrics", timeout=10).text
    assert re.search(r'django_db_execute_total\{[^}]*vendor="postgresql"', metrics), "no PostgreSQL queries counted"


# ----------------------------------------------------------------- prometheus


def test_prometheus_scrapes_the_api(prometheus_url: str, processes: list[dict[str, Any]]) -> None:
    def api_target_up() -> bool:
        targets = requests.get(f"{prometheus_url}/api/v1/targets", timeout=10).json()["data"]["activeTargets"]
        return any(t["labels"]["job"] == "api" and t["health"] == "up" for t in targets)

    wait_for(api_target_up, 30, "the api target to be up")


def test_prometheus_loaded_the_rules(prometheus_url: str) -> None:
    def evaluated_rules() -> list[dict[str, Any]]:
        groups = requests.get(f"{prometheus_url}/api/v1/rules", timeout=10).json()["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        # A rule not evaluated yet (evaluation_interval 15 s after start-up) has health "unknown".
        return rules if rules and all(rule.get("health") != "unknown" for rule in rules) else []

    rules = wait_for(evaluated_rules, 60, "every rule evaluated once")
    assert {"TargetDown", "ApiHigh5xxRatio", "ApiHighLatencyP95", "DatabaseDown"} <= {rule["name"] for rule in rules}
    assert all(rule["health"] == "ok" for rule in rules), [(r["name"], r["health"], r.get("lastError")) for r in rules]


@pytest.fixture(scope="module")
def traffic(api_url: str) -> None:
    """Some successes, 4xx (401, 404) and DB work, spread over a few scrapes."""
    session = requests.Session()
    deadline = time.monotonic() + 12
    while time.monotonic() < deadline:
        session.get(f"{api_url}/health/", timeout=10)  # traffic only: test_health_reports_… judges it
        assert session.get(f"{api_url}/api/users/me/", timeout=10).status_code == 401
        assert session.get(f"{api_url}/no-such-page-{uuid.uuid4().hex[:6]}/", timeout=10).status_code == 404
        time.sleep(1)


@pytest.mark.parametrize(("title", "expr"), DASHBOARD_TARGETS, ids=[t for t, _ in DASHBOARD_TARGETS])
def test_dashboard_query_returns_data(
    traffic: None, prom_query: Callable[[str], list[dict[str, Any]]], title: str, expr: str
) -> None:
    query = substitute(expr)
    result = wait_for(lambda: prom_query(query), 60, f"data for panel {title!r}: {query}")
    assert result


def test_recording_rules_have_data(traffic: None, prom_query: Callable[[str], list[dict[str, Any]]]) -> None:
    for record in ("job:django_http_requests:rate5m", "job:django_db_execute:rate5m"):
        wait_for(lambda: prom_query(record), 60, record)  # noqa: B023 - called before the loop moves on


# -------------------------------------------------------------------- grafana


def test_grafana_serves_the_dashboard(stack: Stack, processes: list[dict[str, Any]]) -> None:
    if not any(p["name"] == "grafana" and p["status"] != "Disabled" for p in processes):
        unavailable("grafana", f"Grafana is not part of this stack: {GRAFANA.tools[0].hint()}")
    base = f"http://127.0.0.1:{stack.vars['GRAFANA_PORT']}"
    auth = (stack.vars["GRAFANA_ADMIN_USER"], stack.vars["GRAFANA_ADMIN_PASSWORD"])
    assert requests.get(f"{base}/api/health", timeout=10).status_code == 200
    assert requests.get(f"{base}/api/dashboards/uid/django-api", auth=("admin", "admin"), timeout=10).status_code == 401
    # Grafana provisions dashboards in the background: /api/health can answer before it exists.
    dashboard_url = f"{base}/api/dashboards/uid/django-api"
    dash = wait_for(lambda: requests.get(dashboard_url, auth=auth, timeout=10), 30, "the dashboard")
    assert dash.json()["dashboard"]["title"] == "Django API"
    ds = requests.get(f"{base}/api/datasources/uid/prometheus", auth=auth, timeout=10)
    assert ds.status_code == 200, ds.text
    assert ds.json()["url"] == f"http://127.0.0.1:{stack.vars['PROMETHEUS_PORT']}"


def test_secrets_file_is_private(stack: Stack) -> None:
    mode = stack.secrets_file.stat().st_mode & 0o777
    assert mode == 0o600, oct(mode)
