"""Business rules for accounts; views stay thin and call these.

Privilege rule: staff manage ordinary accounts; only a superuser may touch a staff or
superuser account or grant staff; nobody changes their own access through the staff API.
Rules are broken with Django's ValidationError and PermissionDenied, which apps.api answers
in the API's error shape; nothing here knows about HTTP.
"""

from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from apps.users.models import User, normalize_email

DUPLICATE_EMAIL = "A user with this email already exists."


def validate_new_password(password: str, user: User, field: str = "password") -> None:
    """Django's password validators; their messages go under `field`, the name the client sent it as."""
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


def user_sign_up(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    user = User(email=normalize_email(email), first_name=first_name, last_name=last_name)
    validate_new_password(password, user)
    user.set_password(password)
    _save(user)
    return user


def user_update(*, user: User, actor: User, data: dict[str, Any]) -> User:
    """Apply validated fields; `actor` is the one asking (the user itself for /me/)."""
    if actor.pk != user.pk:
        ensure_can_manage(actor, user)
        if data.get("is_staff") and not actor.is_superuser:
            raise PermissionDenied("Only a superuser can grant staff status.")
    elif {"is_active", "is_staff"} & data.keys():
        raise PermissionDenied("You cannot change your own access.")
    for field, value in data.items():
        setattr(user, field, normalize_email(value) if field == "email" else value)
    _save(user)
    return user


def user_change_password(*, user: User, authenticated: AbstractBaseUser | None, new_password: str) -> None:
    """`authenticated` is what authenticate() returned for the user's email and the current password (so a
    wrong guess counts toward the account's lockout, and the password is hashed once, not twice)."""
    if authenticated is None or authenticated.pk != user.pk:
        raise ValidationError({"current_password": ["The current password is not correct."]})
    validate_new_password(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])


def user_delete(*, user: User, actor: User) -> None:
    if actor.pk == user.pk:
        raise PermissionDenied("You cannot delete your own account here.")
    ensure_can_manage(actor, user)
    user.delete()


def ensure_can_manage(actor: User, target: User) -> None:
    if (target.is_staff or target.is_superuser) and not actor.is_superuser:
        raise PermissionDenied("Only a superuser can manage staff accounts.")


def _save(user: User) -> None:
    # The one place the unique-email rule is answered: the column's unique index decides, so two
    # concurrent sign-ups can't both pass a check made before the write.
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationError({"email": [DUPLICATE_EMAIL]}) from exc
