from django.apps import AppConfig


class ApiConfig(AppConfig):
    """Cross-cutting API plumbing: one error shape, safe parsers, pagination, throttles, schema."""

    name = "apps.api"
