import pytest


@pytest.fixture
def live(client):
    return client.get("/health/live/")


def test_csp_is_report_only_outside_production_with_frame_ancestors_none(live):
    policy = live["Content-Security-Policy-Report-Only"]

    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    assert "report-uri /csp-report/" in policy
    assert "Content-Security-Policy" not in live


def test_csp_is_enforced_when_configured(client, settings):
    settings.CONTENT_SECURITY_POLICY = settings.CONTENT_SECURITY_POLICY_REPORT_ONLY
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = None

    response = client.get("/health/live/")

    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in response


def test_other_security_headers(live):
    assert live["X-Content-Type-Options"] == "nosniff"
    assert live["Referrer-Policy"] == "same-origin"
    assert live["Cross-Origin-Opener-Policy"] == "same-origin"
    assert live["X-Frame-Options"] == "DENY"
    assert "camera=()" in live["Permissions-Policy"]
    assert "geolocation=()" in live["Permissions-Policy"]


def test_headers_are_on_error_responses_too(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy-Report-Only" in response
