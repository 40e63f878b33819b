"""`check --deploy` refuses limits that each worker would count on its own."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.utils.module_loading import import_string

PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache",)


def _is_per_process(backend_path: str) -> bool:
    backend = import_string(backend_path)
    return any(issubclass(backend, import_string(path)) for path in PER_PROCESS_CACHES)


@register(Tags.security, deploy=True)
def shared_limit_state(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Throttle counts live in the default cache; a per-process one multiplies every limit by the workers."""
    if not _is_per_process(settings.CACHES["default"]["BACKEND"]):
        return []
    return [
        Error(
            "Rate limits would be counted per process: the default cache is in-process memory.",
            hint="Set REDIS_URL so every worker and instance shares throttle counts.",
            id="apps.security.E001",
        )
    ]
