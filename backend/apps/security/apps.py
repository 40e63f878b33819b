from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """CSP violation reports, and the deploy check that limits are shared."""

    name = "apps.security"

    def ready(self) -> None:
        from apps.security import checks  # noqa: F401  # registers the deploy check
