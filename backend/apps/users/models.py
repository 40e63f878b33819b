from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models


def normalize_email(email: str) -> str:
    """Whole address lower-cased: one account per mailbox, whatever the case typed."""
    return email.strip().lower()


class UserManager(DjangoUserManager["User"]):
    """Django's manager, keyed by email instead of username."""

    def _create_user(self, email: str, password: str | None, **extra_fields: Any) -> "User":
        user = self.model(email=normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields: Any) -> "User":  # type: ignore[override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields: Any) -> "User":  # type: ignore[override]
        extra_fields.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email: str | None) -> "User":
        return self.get(email=normalize_email(email or ""))


class User(AbstractUser):
    """A person who logs in with an email address; there is no username."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)
