import json
import logging

import pytest

from testing import assert_error

REPORT = "/csp-report/"
LEGACY = {
    "csp-report": {
        "document-uri": "https://app.example/page",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "blocked-uri": "https://evil.example/x.js",
        "original-policy": "default-src 'self'" + " 'self'" * 50,
        "line-number": 12,
    }
}
REPORTING_API = [
    {
        "type": "csp-violation",
        "age": 10,
        "url": "https://app.example/page",
        "body": {
            "documentURL": "https://app.example/page",
            "effectiveDirective": "img-src",
            "blockedURL": "https://tracker.example/p.gif",
            "disposition": "enforce",
        },
    },
    {"type": "deprecation", "body": {"id": "x"}},
]


class CspLog:
    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self._caplog = caplog

    @property
    def records(self) -> list[logging.LogRecord]:
        return [record for record in self._caplog.records if record.name == "apps.security.csp"]


@pytest.fixture
def csp_log(caplog) -> CspLog:
    caplog.set_level(logging.WARNING, logger="apps.security.csp")
    return CspLog(caplog)


def post(client, body, content_type: str, **extra):
    return client.generic("POST", REPORT, json.dumps(body), content_type=content_type, **extra)


@pytest.mark.parametrize("content_type", ["application/csp-report", "application/json"])
def test_report_uri_format_is_accepted_and_logged_compactly(client, csp_log, content_type):
    # No django_db mark: any database access would fail the test, so reports write nothing.
    response = post(client, LEGACY, content_type)

    assert response.status_code == 204
    (record,) = csp_log.records
    assert record.csp == {
        "document-uri": "https://app.example/page",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "blocked-uri": "https://evil.example/x.js",
        "line-number": 12,
    }
    assert "script-src-elem blocked https://evil.example/x.js" in record.getMessage()


def test_reporting_api_format_is_accepted_one_line_per_violation(client, csp_log):
    response = post(client, REPORTING_API, "application/reports+json")

    assert response.status_code == 204
    (record,) = csp_log.records
    assert record.csp["effective-directive"] == "img-src"
    assert record.csp["blocked-uri"] == "https://tracker.example/p.gif"


def test_long_fields_are_trimmed(client, csp_log):
    body = {"csp-report": {"document-uri": "https://a.example/" + "x" * 5000}}

    assert post(client, body, "application/csp-report").status_code == 204
    assert len(csp_log.records[0].csp["document-uri"]) == 512


def test_a_body_over_64_kib_is_a_413_and_is_not_parsed(client, csp_log):
    body = {"csp-report": {"document-uri": "x" * (65 * 1024)}}

    assert_error(post(client, body, "application/csp-report"), 413, "payload_too_large")
    assert not csp_log.records


@pytest.mark.parametrize(
    "body", [{"not": "a report"}, [], [{"type": "deprecation", "body": {}}], "text", {"csp-report": "flat"}]
)
def test_bodies_that_are_not_reports_are_a_400(client, body, csp_log):
    assert_error(post(client, body, "application/csp-report"), 400, "invalid")
    assert not csp_log.records


def test_malformed_json_is_a_400(client):
    response = client.generic("POST", REPORT, "{nope", content_type="application/csp-report")

    assert_error(response, 400, "parse_error")


def test_other_content_types_are_a_415(client):
    assert_error(client.generic("POST", REPORT, "x", content_type="text/plain"), 415)


def test_reports_are_throttled(client, throttle_rates):
    throttle_rates(csp_report="2/min")

    statuses = [post(client, LEGACY, "application/csp-report").status_code for _ in range(3)]

    assert statuses == [204, 204, 429]


def test_get_is_not_allowed(client):
    assert_error(client.get(REPORT), 405)
