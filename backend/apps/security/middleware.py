"""django-csp's middleware, building the usual header once instead of on every response."""

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest
from django.http.response import HttpResponseBase

# Attributes django-csp's decorators put on a response to change or drop its policy.
_PER_RESPONSE_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)
_POLICY_SETTINGS = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
_cache: dict[str, tuple[str, str, bool]] = {}


def _settings_policies() -> tuple[str, str, bool]:
    """(enforced header, report-only header, whether either policy excludes URL prefixes)."""
    if "policies" not in _cache:
        excluded = any((getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") for name in _POLICY_SETTINGS)
        _cache["policies"] = (build_policy(), build_policy(report_only=True), excluded)
    return _cache["policies"]


def _reset(*, setting: str, **kwargs: object) -> None:
    if setting in _POLICY_SETTINGS:
        _cache.clear()


setting_changed.connect(_reset, dispatch_uid="security.csp_policy_cache")


class CSPMiddleware(DjangoCSPMiddleware):
    """Same headers as django-csp's middleware.

    django-csp rebuilds the policy string from the settings for every response (copying and joining
    each directive twice, for the enforced and the report-only header): about a sixth of a
    /health/live/ request. Responses without a nonce, a per-view policy, a header already set or
    excluded prefixes get the strings built once; any other response goes through django-csp.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if (
            settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE_POLICY)
            or HEADER in response
            or HEADER_REPORT_ONLY in response
        ):
            return super().process_response(request, response)
        enforced, report_only, excluded = _settings_policies()
        if excluded:
            return super().process_response(request, response)
        if enforced:
            response[HEADER] = enforced
        if report_only:
            response[HEADER_REPORT_ONLY] = report_only
        # As django-csp does: a nonce asked for after the header is written is an error, not a silent gap.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
