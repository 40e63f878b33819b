import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from pythonjsonlogger.json import JsonFormatter

from apps.api.request_id import current_request_id
from apps.observability.logging import RequestIdFilter

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Captures log lines through the project's own JSON formatter and request-id filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    logging_config: dict[str, Any] = settings.LOGGING
    json_format: dict[str, Any] = logging_config["formatters"]["json"]
    options = {key: value for key, value in json_format.items() if key != "()"}
    handler.setFormatter(JsonFormatter(**options))
    loggers = [logging.getLogger(name) for name in ("apps.access", "django.request")]
    for logger in loggers:
        logger.addHandler(handler)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_every_response_gets_a_generated_id(client):
    first, second = client.get("/health/live/"), client.get("/health/live/")

    assert GENERATED.fullmatch(first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize("incoming", ["abc-123", "a" * 64, "req.2024_11-26", "0f8fad5b-d9cb-469f-a165-70867728950e"])
def test_a_short_safe_incoming_id_is_kept(client, incoming):
    assert client.get("/health/live/", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["a" * 65, "has space", "new\nline", "semi;colon", "ünïcode", "<script>", ""])
def test_an_unsafe_incoming_id_is_replaced(client, incoming):
    returned = client.get("/health/live/", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"]

    assert returned != incoming
    assert GENERATED.fullmatch(returned)


def test_every_log_line_of_a_request_carries_its_id_and_it_is_cleared_after(client, json_log):
    response = client.get("/no/such/page/", HTTP_X_REQUEST_ID="trace-me-1")

    records = lines(json_log)
    assert {record["logger"] for record in records} == {"apps.access", "django.request"}
    assert {record["request_id"] for record in records} == {"trace-me-1"}
    assert response.json()["request_id"] == "trace-me-1"
    assert current_request_id() == ""


def test_json_access_line_has_the_documented_fields(client, json_log):
    client.get("/health/live/", REMOTE_ADDR="203.0.113.5")  # a probe from elsewhere is real traffic: INFO

    (access,) = [record for record in lines(json_log) if record["logger"] == "apps.access"]
    assert {"time", "level", "logger", "message", "request_id", "method", "path", "status", "duration_ms"} <= set(
        access
    )
    assert (access["method"], access["path"], access["status"], access["level"]) == (
        "GET",
        "/health/live/",
        200,
        "INFO",
    )
    assert access["duration_ms"] >= 0


def test_outside_a_request_the_log_id_is_a_dash():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "message", None, None)

    RequestIdFilter().filter(record)

    assert getattr(record, "request_id", None) == "-"


@pytest.mark.parametrize("path", ["/health/live/", "/health/", "/metrics"])
def test_probes_and_scrapes_from_loopback_log_at_debug(client, caplog, db, path):
    caplog.set_level(logging.DEBUG, logger="apps.access")

    assert client.get(path, REMOTE_ADDR="127.0.0.1").status_code == 200
    client.get("/api/users/me/", REMOTE_ADDR="127.0.0.1")

    levels = {record.path: record.levelname for record in caplog.records if record.name == "apps.access"}
    assert levels == {path: "DEBUG", "/api/users/me/": "INFO"}


def test_a_failing_probe_from_loopback_stays_at_info(client, caplog, monkeypatch):
    monkeypatch.setattr("apps.health.views.check_database", lambda: "unavailable")
    caplog.set_level(logging.DEBUG, logger="apps.access")

    assert client.get("/health/", REMOTE_ADDR="::1").status_code == 503

    assert [r.levelname for r in caplog.records if r.name == "apps.access"] == ["INFO"]
