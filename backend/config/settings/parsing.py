"""Turn the header-style strings of `.env` into the structures django-csp and
django-permissions-policy expect, so operators write policies the way browsers read them."""

import re
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from config.env import env

# ReDoc needs inline styles and blob: workers; Swagger UI needs data: images. Everything else is self.
DEFAULT_CSP_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'; report-uri /csp-report/"
)
_PERMISSIONS_ENTRY = re.compile(r"^\s*([a-z0-9-]+)\s*=\s*\(([^)]*)\)\s*$")


def parse_csp_policy(policy: str) -> dict[str, list[str]]:
    """`"default-src 'self'; img-src 'self' data:"` -> `{"default-src": ["'self'"], ...}`."""
    directives: dict[str, list[str]] = {}
    for part in filter(str.strip, policy.split(";")):
        name, *values = part.split()
        directives[name.lower()] = values
    if not directives:
        raise ImproperlyConfigured("CSP_POLICY is empty")
    return directives


def parse_permissions_policy(policy: str) -> dict[str, list[str]]:
    """`"camera=(), geolocation=(self)"` -> `{"camera": [], "geolocation": ["self"]}`."""
    features: dict[str, list[str]] = {}
    for entry in filter(str.strip, policy.split(",")):
        match = _PERMISSIONS_ENTRY.match(entry)
        if match is None:
            raise ImproperlyConfigured(f"PERMISSIONS_POLICY entry {entry.strip()!r} is not 'feature=(allowlist)'")
        feature, allowlist = match.groups()
        features[feature] = [origin.strip('"') for origin in allowlist.split()]
    return features


def csp_settings(*, report_only_default: bool) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY) from CSP_ENABLED, CSP_REPORT_ONLY, CSP_POLICY."""
    if not env.bool("CSP_ENABLED", default=True):
        return None, None
    policy = {"DIRECTIVES": parse_csp_policy(env.str("CSP_POLICY", default=DEFAULT_CSP_POLICY))}
    return (None, policy) if env.bool("CSP_REPORT_ONLY", default=report_only_default) else (policy, None)


def codespace_forwarded_host(port: int) -> str | None:
    """The host GitHub Codespaces serves `port` on (https://<codespace>-<port>.<domain>); None outside one."""
    name = env.str("CODESPACE_NAME", default="")
    domain = env.str("GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN", default="")
    return f"{name}-{port}.{domain}" if name and domain else None
