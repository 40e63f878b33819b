import logging
from typing import Any

from drf_spectacular.utils import OpenApiRequest, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.exceptions import PayloadTooLarge
from apps.api.parsers import JSONParser, declared_length
from apps.api.schema import AutoSchema
from apps.api.throttling import CspReportRateThrottle
from apps.security.parsers import CspReportParser, ReportingApiParser
from apps.security.reports import violations

logger = logging.getLogger("apps.security.csp")

REPORT_MAX_BYTES = 64 * 1024

_VIOLATION = {"type": "object", "additionalProperties": {}, "description": "The violation, as the browser words it."}
# What apps.security.reports.violations accepts, whichever of the three media types carries it.
REPORT_BODY_SCHEMA = {
    "oneOf": [
        {
            "type": "object",
            "description": "CSP Level 2 `report-uri` body.",
            "required": ["csp-report"],
            "properties": {"csp-report": _VIOLATION},
        },
        {
            "type": "array",
            # OpenAPI 3.0 has no `contains`: reports of other types may ride along in a batch and are skipped.
            "description": "Reporting API (`report-to`) batch of CSP violation reports.",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["type", "body"],
                "properties": {"type": {"type": "string", "enum": ["csp-violation"]}, "body": _VIOLATION},
            },
        },
    ]
}


class _ReportSchema(AutoSchema):
    def _get_request_body(self, direction: str = "request") -> Any:
        body = super()._get_request_body(direction)  # type: ignore[no-untyped-call]
        body["required"] = True  # a raw schema is taken as optional, but an empty body is refused with a 400
        return body


class CspReportApi(APIView):
    """Browsers post CSP violations here; each is logged as one structured line."""

    authentication_classes = ()
    permission_classes = (permissions.AllowAny,)
    throttle_classes = (CspReportRateThrottle,)
    parser_classes = (CspReportParser, ReportingApiParser, JSONParser)
    schema = _ReportSchema()

    @extend_schema(
        operation_id="csp_report_create",
        request=OpenApiRequest(REPORT_BODY_SCHEMA),
        responses={204: OpenApiResponse(description="Report accepted.")},
        tags=["security"],
    )
    def post(self, request: Request) -> Response:
        # Checked before request.data so an oversized body is never read.
        if declared_length({"request": request}) > REPORT_MAX_BYTES:
            raise PayloadTooLarge()
        for violation in violations(request.data):
            logger.warning(
                "csp violation: %s blocked %s on %s",
                violation.get("effective-directive") or violation.get("violated-directive", "?"),
                violation.get("blocked-uri", "?"),
                violation.get("document-uri", "?"),
                extra={"csp": violation},
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
