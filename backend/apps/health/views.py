"""Plain Django views: no authentication, no throttling, no database writes, minimal cost."""

from django.http import HttpRequest, JsonResponse

from apps.api.errors import safe_methods_only
from apps.health.checks import check_cache, check_database


@safe_methods_only
def live(request: HttpRequest) -> JsonResponse:
    """The process answers; touches no dependency."""
    return JsonResponse({"status": "ok"})


@safe_methods_only
def ready(request: HttpRequest) -> JsonResponse:
    """The database and the cache answer: 200, or 503 naming what failed."""
    checks = {"database": check_database(), "cache": check_cache()}
    healthy = all(result == "ok" for result in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)
