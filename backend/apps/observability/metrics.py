"""GET /metrics: django-prometheus' exporter, open to trusted networks or a bearer token."""

import functools
import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_prometheus.exports import ExportToDjangoView

from apps.api.errors import permission_denied, safe_methods_only


@functools.lru_cache(maxsize=4)
def _parse_networks(networks: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(net, strict=False) for net in networks)


def _allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Parsed once per distinct setting, not on every scrape."""
    return _parse_networks(tuple(settings.METRICS_ALLOWED_NETWORKS))


def _is_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token and hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
        return True
    try:
        client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(client in network for network in _allowed_networks())


@safe_methods_only
def metrics(request: HttpRequest) -> HttpResponse:
    if not _is_allowed(request):
        return permission_denied(request, PermissionError())
    response: HttpResponse = ExportToDjangoView(request)
    return response
