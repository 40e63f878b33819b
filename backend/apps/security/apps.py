from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """Account security (lockout, token revocation, security events) and CSP violation reports."""

    name = "apps.security"

    def ready(self) -> None:
        # Registers the deploy check and the security-event signal receivers.
        from apps.security import checks, events  # noqa: F401
