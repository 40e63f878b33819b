import json
import os
import re
import signal
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ops.evidence import gunicorn_server
from testing import assert_error, server_test_env

BACKEND = Path(__file__).resolve().parents[3]
HEALTH_LIVE_SERIES = (
    'django_http_requests_total_by_view_transport_method_total{method="GET",transport="http",view="health-live"}'
)


def test_metrics_is_open_to_loopback(client):
    client.get("/health/live/")

    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 200
    assert HEALTH_LIVE_SERIES.encode() in response.content


def test_metrics_refuses_other_networks(client):
    assert_error(client.get("/metrics", REMOTE_ADDR="203.0.113.9"), 403, "permission_denied")


def test_metrics_ignores_a_forged_forwarded_for(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert_error(response, 403)


def test_metrics_accepts_the_configured_token_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "scrape-token-0123456789"

    allowed = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer scrape-token-0123456789")
    refused = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer wrong")

    assert allowed.status_code == 200
    assert_error(refused, 403)


def test_metrics_allow_list_comes_from_settings(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]

    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert_error(client.get("/metrics", REMOTE_ADDR="127.0.0.1"), 403)


def test_metrics_refuses_an_unparseable_client_address(client):
    assert_error(client.get("/metrics", REMOTE_ADDR="not-an-ip"), 403)


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:  # a loaded machine may be slow to answer  # noqa: S310 - fixed loopback URL
        return str(response.read().decode())


@pytest.fixture
def gunicorn(tmp_path):
    """The real server: gunicorn with two workers and the multiprocess metrics directory."""
    port = gunicorn_server.free_port()
    # The probes below log their access lines at DEBUG.
    env = server_test_env(tmp_path, port, WEB_CONCURRENCY="2", JSON_LOGS="True", LOG_LEVEL="DEBUG")
    log = tmp_path / "gunicorn.log"
    server = gunicorn_server.start(["config.wsgi"], port=port, cwd=BACKEND, env=env, log_path=log)
    with gunicorn_server.serving(server):
        yield server.url, log, tmp_path / "metrics"


def _serving_pids(log: Path) -> set[int]:
    """Worker pids that wrote an access line (JSON logs carry the process id)."""
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return {record["process"] for record in records if record.get("logger") == "apps.access"}


def _health_live_count(metrics: str) -> float:
    match = re.search(re.escape(HEALTH_LIVE_SERIES) + r" (\S+)", metrics)
    return float(match.group(1)) if match else 0.0


def _probe(base: str, times: int) -> int:
    with ThreadPoolExecutor(max_workers=8) as pool:  # concurrent connections reach both workers
        return len(list(pool.map(_get, [f"{base}/health/live/"] * times)))


def test_metrics_sum_every_gunicorn_worker_and_outlive_a_killed_one(gunicorn):
    base, log, directory = gunicorn
    deadline = time.monotonic() + 30

    # Both workers serve once both have booted; on a busy machine one may lag, and a readiness probe
    # the client gave up on may still be answered (and counted): the count is read after that.
    while len(_serving_pids(log)) < 2:
        assert time.monotonic() < deadline, "the second worker served no request"
        _probe(base, 40)
    first_workers = _serving_pids(log)
    before = _health_live_count(_get(f"{base}/metrics"))
    sent = _probe(base, 40)

    assert _health_live_count(_get(f"{base}/metrics")) == before + sent

    # A worker dies; its replacement takes over its metric files: nothing counted is lost, and the
    # directory keeps one set of files per worker slot instead of gaining a set per restart.
    os.kill(min(first_workers), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while not _serving_pids(log) - first_workers:
        assert time.monotonic() < deadline, "no replacement worker served a request"
        _probe(base, 8)
    served = _health_live_count(_get(f"{base}/metrics"))
    _probe(base, 40)

    assert _health_live_count(_get(f"{base}/metrics")) == served + 40
    assert served >= before + sent
    assert sorted(path.name for path in directory.glob("*.db")) == [
        "counter_worker-0.db",
        "counter_worker-1.db",
        "histogram_worker-0.db",
        "histogram_worker-1.db",
    ]
