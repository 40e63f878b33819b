import logging

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiRequest, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.errors import PayloadTooLarge
from apps.api.parsers import JSONParser, declared_length
from apps.api.throttling import CspReportRateThrottle
from apps.security.parsers import CspReportParser, ReportingApiParser
from apps.security.reports import violations

logger = logging.getLogger("apps.security.csp")

REPORT_MAX_BYTES = 64 * 1024


class CspReportApi(APIView):
    """Browsers post CSP violations here; each is logged as one structured line."""

    authentication_classes = ()
    permission_classes = (permissions.AllowAny,)
    throttle_classes = (CspReportRateThrottle,)
    parser_classes = (CspReportParser, ReportingApiParser, JSONParser)

    @extend_schema(
        operation_id="csp_report_create",
        request=OpenApiRequest(OpenApiTypes.OBJECT),
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
