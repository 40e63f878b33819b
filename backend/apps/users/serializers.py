from typing import Any, cast

from django.contrib.auth import password_validation
from django.core.validators import EmailValidator
from django.db import models
from django.utils.text import capfirst
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import UntypedToken

from apps.api.fields import PasswordField, StrictBooleanField, StrictCharField
from apps.users.events import record
from apps.users.lockout import raise_if_locked_out
from apps.users.models import User, normalize_email
from apps.users.tokens import revoke_family_on_replay


def _password_min_length() -> int:
    validators = password_validation.get_default_password_validators()
    return max((getattr(v, "min_length", 1) for v in validators), default=1)


@extend_schema_field(
    {
        "type": "string",
        "minLength": _password_min_length(),
        "maxLength": 128,
        "pattern": "^[^\\u0000]*[^0-9\\u0000][^\\u0000]*$",  # not entirely numeric
        "description": "Also refused: too common, or too similar to the email or names.",
    }
)
class NewPasswordField(PasswordField):
    """Checked by Django's password validators in services; the schema states the length they require."""


def _model_field(name: str) -> "models.Field[Any, Any]":
    return cast("models.Field[Any, Any]", User._meta.get_field(name))


def _title(name: str) -> str:
    """The model field's verbose name, as ModelSerializer would label it (the schema's `title`)."""
    return str(capfirst(_model_field(name).verbose_name))


def _model_flag(name: str) -> serializers.BooleanField:
    return serializers.BooleanField(read_only=True, label=_title(name), help_text=str(_model_field(name).help_text))


# Component names as a client author expects them (drf-spectacular adds Request/Patched/List).
@extend_schema_serializer(component_name="User")
class UserOutputSerializer(serializers.Serializer[Any]):
    # Declared fields, not a ModelSerializer: that derives them from the model again for every instance,
    # a quarter of GET /api/users/me/. Titles and help texts still come from the model.
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True, label=_title("email"))
    first_name = serializers.CharField(read_only=True)
    last_name = serializers.CharField(read_only=True)
    is_active = _model_flag("is_active")
    is_staff = _model_flag("is_staff")
    date_joined = serializers.DateTimeField(read_only=True)


class _EmailInputSerializer(serializers.Serializer[Any]):
    """An address the column can store; whether it is free, services decide when saving."""

    email = serializers.EmailField(max_length=254)

    def validate_email(self, value: str) -> str:
        # RFC 5321's 64-character local part, which `format: email` holds and Django's EmailValidator doesn't;
        # and lower-casing lengthens some letters (İ), past what the column stores.
        if len(value.rpartition("@")[0]) > 64 or len(normalize_email(value)) > 254:
            raise serializers.ValidationError(EmailValidator.message)
        return value


@extend_schema_serializer(component_name="SignUp")
class SignUpInputSerializer(_EmailInputSerializer):
    """A new account: an email address not in use yet and a password Django's validators accept."""

    password = NewPasswordField()
    first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    last_name = StrictCharField(max_length=150, required=False, allow_blank=True)


@extend_schema_serializer(component_name="ProfileUpdate")
class ProfileUpdateInputSerializer(_EmailInputSerializer):
    """What users may change about themselves."""

    email = serializers.EmailField(max_length=254, required=False)
    first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
    last_name = StrictCharField(max_length=150, required=False, allow_blank=True)


@extend_schema_serializer(component_name="StaffUserUpdate")
class StaffUserUpdateInputSerializer(ProfileUpdateInputSerializer):
    """What staff may change about other accounts (further limited by services.user_update)."""

    is_active = StrictBooleanField(required=False)
    is_staff = StrictBooleanField(required=False)


@extend_schema_serializer(component_name="PasswordChange")
class PasswordChangeInputSerializer(serializers.Serializer[Any]):
    current_password = PasswordField()
    new_password = NewPasswordField()


@extend_schema_serializer(component_name="TokenObtain")
class TokenObtainInputSerializer(TokenObtainPairSerializer):
    """SimpleJWT's, reading the password as sign-up stored it (untrimmed), refusing locked-out callers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"] = PasswordField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        try:
            data = super().validate(attrs)
        except AuthenticationFailed:
            raise_if_locked_out(self.context["request"])
            raise
        record("login_success", self.user.pk if self.user else None, via="token")
        return data


@extend_schema_serializer(component_name="TokenRefresh")
class TokenRefreshInputSerializer(TokenRefreshSerializer):
    """SimpleJWT's rotation, treating a replayed refresh token as theft of its whole family."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        try:
            data = super().validate(attrs)
        except TokenError:
            revoke_family_on_replay(attrs["refresh"])
            raise
        access = UntypedToken(data["access"])  # type: ignore[arg-type]  # decodes a str despite its hints
        record("token_refresh", int(access[api_settings.USER_ID_CLAIM]))
        return data
