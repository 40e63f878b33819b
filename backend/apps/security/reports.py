"""Normalises both CSP report formats to one compact record per violation."""

from typing import Any

from rest_framework.exceptions import ValidationError

MAX_REPORTS_PER_REQUEST = 20
MAX_FIELD_LENGTH = 512

# Reporting API name -> report-uri name, so both formats log the same keys.
_FIELDS = {
    "documentURL": "document-uri",
    "effectiveDirective": "effective-directive",
    "blockedURL": "blocked-uri",
    "sourceFile": "source-file",
    "lineNumber": "line-number",
    "disposition": "disposition",
}
_KEPT = {*_FIELDS.values(), "violated-directive"}


def violations(payload: Any) -> list[dict[str, Any]]:
    """The violations in a report body, trimmed to the fields worth logging."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        bodies = [payload["csp-report"]]
    elif isinstance(payload, list) and payload and all(isinstance(item, dict) for item in payload):
        bodies = [
            item["body"]
            for item in payload
            if item.get("type") == "csp-violation" and isinstance(item.get("body"), dict)
        ]
        if not bodies:
            raise ValidationError({"non_field_errors": ["No csp-violation report in the body."]})
    else:
        raise ValidationError(
            {"non_field_errors": ["Expected a CSP report: {'csp-report': {...}} or a Reporting API list."]}
        )
    return [_compact(body) for body in bodies[:MAX_REPORTS_PER_REQUEST]]


def _compact(body: dict[str, Any]) -> dict[str, Any]:
    record = {}
    for key, value in body.items():
        name = _FIELDS.get(key, key)
        if name in _KEPT and isinstance(value, str | int):
            record[name] = value[:MAX_FIELD_LENGTH] if isinstance(value, str) else value
    return record
