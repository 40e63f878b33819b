from django.apps import AppConfig


class UsersConfig(AppConfig):
    """Accounts: the email-login user model, sign-up, profile and staff administration."""

    name = "apps.users"
