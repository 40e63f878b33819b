from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Request ids, structured logs and the guarded Prometheus endpoint."""

    name = "apps.observability"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from apps.api.request_id import clear_request_id

        # Cleared only when the response is done: django.request logs after the middleware returns.
        request_finished.connect(clear_request_id, dispatch_uid="observability.clear_request_id")
