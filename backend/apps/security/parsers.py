from apps.api.parsers import JSONParser


class CspReportParser(JSONParser):
    """CSP Level 2 `report-uri` bodies: {"csp-report": {...}}."""

    media_type = "application/csp-report"


class ReportingApiParser(JSONParser):
    """Reporting API (`report-to`) bodies: [{"type": "csp-violation", "body": {...}}, ...]."""

    media_type = "application/reports+json"
