from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """Collects the Content-Security-Policy violation reports browsers send."""

    name = "apps.security"
