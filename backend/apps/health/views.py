"""Plain Django views: no authentication, no throttling, no database writes, minimal cost."""

from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from apps.api.errors import safe_methods_only
from apps.health.checks import check_cache, check_database


@safe_methods_only
def live(request: HttpRequest) -> JsonResponse:
    """The process answers; touches no dependency."""
    return JsonResponse({"status": "ok"})


@safe_methods_only
def ready(request: HttpRequest) -> JsonResponse:
    """The database and the cache answer: 200, or 503 naming what failed; stamped with the time (UTC)."""
    checks = {"database": check_database(), "cache": check_cache()}
    healthy = all(result == "ok" for result in checks.values())
    body = {
        "status": "ok" if healthy else "error",
        "timestamp": timezone.now().isoformat(timespec="milliseconds"),
        "checks": checks,
    }
    return JsonResponse(body, status=200 if healthy else 503)
