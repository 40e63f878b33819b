"""Checks of the stack's files that need no running service (part of `just test`): the Grafana
dashboard and provisioning, Prometheus' config, its rules and their unit tests.
"""

import json
import re
import subprocess

import yaml

from ops.stack.layout import STACK_DIR

from .helpers import DASHBOARD, dashboard_targets, require_tool

GRAFANA_DIR = STACK_DIR / "grafana"
PROMETHEUS_DIR = STACK_DIR / "prometheus"
PROMTOOL_HINT = "Nix attribute 'prometheus.cli' (nix develop brings it), Debian package 'prometheus'"


def test_dashboard_json_is_valid() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "django-api"
    titles = {panel["title"] for panel in dashboard["panels"]}
    assert {
        "Request rate by view",
        "Latency p50 / p95 / p99",
        "4xx ratio",
        "5xx ratio",
        "Database query rate",
        "Processes up",
    } <= titles
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}, panel["title"]
        assert panel["targets"], panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
    exprs = " ".join(expr for _, expr in dashboard_targets())
    for metric in (
        "django_http_requests_total_by_view_transport_method_total",
        "django_http_requests_latency_seconds_by_view_method_bucket",
        "django_http_responses_total_by_status_view_method_total",
        "django_db_execute_total",
        'up{job=~"api|prometheus"}',
    ):
        assert metric in exprs


def test_grafana_provisioning_is_valid() -> None:
    datasources = yaml.safe_load((GRAFANA_DIR / "provisioning/datasources/prometheus.yml").read_text())
    assert datasources["apiVersion"] == 1
    (prometheus,) = datasources["datasources"]
    assert prometheus["uid"] == "prometheus"
    assert prometheus["type"] == "prometheus"

    providers = yaml.safe_load((GRAFANA_DIR / "provisioning/dashboards/dashboards.yml").read_text())
    (provider,) = providers["providers"]
    assert provider["type"] == "file"

    ini = (GRAFANA_DIR / "grafana.ini").read_text()
    # No default password in anything a user deploys: Grafana's comes from the generated secrets.
    assert not re.search(r"^admin_password\s*=\s*admin\s*$", ini, re.M)


def test_prometheus_config_and_rule_tests() -> None:
    promtool = require_tool("promtool", PROMTOOL_HINT)
    check = subprocess.run(
        [promtool, "check", "config", str(PROMETHEUS_DIR / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    tests = sorted(str(path) for path in (PROMETHEUS_DIR / "tests").glob("*.yml"))
    assert tests
    unit = subprocess.run([promtool, "test", "rules", *tests], capture_output=True, text=True, check=False)
    assert unit.returncode == 0, unit.stdout + unit.stderr
