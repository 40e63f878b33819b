from django.apps import AppConfig


class UsersConfig(AppConfig):
    """Accounts: the email-login user model, sign-up, profile and staff administration."""

    name = "apps.users"

    def ready(self) -> None:
        from apps.users import events  # noqa: F401  # connects the security-event signal receivers
