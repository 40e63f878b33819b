"""Scoped limits keyed by client address (DRF's get_ident honours NUM_PROXIES), whoever is logged in."""

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle


class ClientAddressRateThrottle(SimpleRateThrottle):
    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SignUpRateThrottle(ClientAddressRateThrottle):
    scope = "signup"


class TokenRateThrottle(ClientAddressRateThrottle):
    scope = "token"


class CspReportRateThrottle(ClientAddressRateThrottle):
    scope = "csp_report"
