"""`manage.py seed`: sample accounts for development, made once however often it runs.

A superuser (DJANGO_SUPERUSER_EMAIL, default admin@example.com, with DJANGO_SUPERUSER_PASSWORD; unset,
a password is generated and printed once, when the account is created), staff and users without
usable passwords. Only against a local database: it writes accounts.
"""

import os
import secrets
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from apps.users.models import User, normalize_email

LOCAL_HOSTS = ("", "localhost", "127.0.0.1", "::1")  # "": SQLite, or the client library's local socket
DEFAULT_SUPERUSER_EMAIL = "admin@example.com"
# The same sample names on every fresh database.
FAKER_SEED = "django-api-template"


class Command(BaseCommand):
    help = "Sample accounts (a superuser from DJANGO_SUPERUSER_*, staff, users); running it again changes nothing"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--staff", type=int, default=3, help="staff accounts staff1@example.com... (default 3)")
        parser.add_argument("--users", type=int, default=10, help="accounts user1@example.com... (default 10)")

    def handle(self, *args: Any, **options: Any) -> None:
        host = str(connection.settings_dict.get("HOST") or "")
        if host not in LOCAL_HOSTS and not host.startswith("/"):
            raise CommandError(
                f"seed writes sample accounts, so it runs only against a local database (localhost, 127.0.0.1, ::1 "
                f"or a unix socket); this one is on {host}. Nothing was written."
            )
        try:
            import factory.random

            from apps.users.tests.factories import StaffFactory, UserFactory
        except ImportError as exc:
            raise CommandError(f"seed needs factory_boy, a development dependency (`poetry install`): {exc}") from exc

        factory.random.reseed_random(FAKER_SEED)
        with transaction.atomic():
            self.superuser()
            before = User.objects.count()
            for number in range(1, options["staff"] + 1):
                StaffFactory.create(email=f"staff{number}@example.com")
            for number in range(1, options["users"] + 1):
                UserFactory.create(email=f"user{number}@example.com")
            added = User.objects.count() - before
        self.stdout.write(f"seed: {added} sample accounts created, {User.objects.count()} accounts in all")

    def superuser(self) -> None:
        email = normalize_email(os.environ.get("DJANGO_SUPERUSER_EMAIL") or DEFAULT_SUPERUSER_EMAIL)
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(email=email)
        elif user.is_superuser and user.is_staff and (not password or user.check_password(password)):
            return  # as the last run left it
        created = user.pk is None
        generated = created and not password
        if generated:
            password = secrets.token_urlsafe(18)
        if password:
            try:
                password_validation.validate_password(password, user=user)
            except ValidationError as exc:
                raise CommandError(f"DJANGO_SUPERUSER_PASSWORD: {' '.join(exc.messages)}") from exc
            user.set_password(password)
        user.is_staff = user.is_superuser = True
        user.save()
        self.stdout.write(f"seed: superuser {email} {'created' if created else 'updated'}")
        if generated:
            self.stdout.write(
                f"seed: its generated password, shown this once: {password}\n"
                "      (set DJANGO_SUPERUSER_PASSWORD to choose it; `manage.py changepassword` to change it)"
            )
