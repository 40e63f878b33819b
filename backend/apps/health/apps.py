from django.apps import AppConfig


class HealthConfig(AppConfig):
    """Liveness and readiness probes for load balancers and orchestrators."""

    name = "apps.health"
