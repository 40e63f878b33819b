from typing import Any

from rest_framework import serializers

from apps.users.models import User
from apps.users.services import DUPLICATE_EMAIL, email_taken


class UserOutputSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ("id", "email", "first_name", "last_name", "is_active", "is_staff", "date_joined")
        read_only_fields = fields


class _EmailInputSerializer(serializers.Serializer[Any]):
    """Rejects an address already in use (by someone other than the user being edited)."""

    email = serializers.EmailField(max_length=254)

    def validate_email(self, value: str) -> str:
        if email_taken(value, exclude=self.context.get("user")):
            raise serializers.ValidationError(DUPLICATE_EMAIL)
        return value


class SignUpInputSerializer(_EmailInputSerializer):
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


class ProfileUpdateInputSerializer(_EmailInputSerializer):
    """What users may change about themselves."""

    email = serializers.EmailField(max_length=254, required=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


class StaffUserUpdateInputSerializer(ProfileUpdateInputSerializer):
    """What staff may change about other accounts (further limited by services.user_update)."""

    is_active = serializers.BooleanField(required=False)
    is_staff = serializers.BooleanField(required=False)


class PasswordChangeInputSerializer(serializers.Serializer[Any]):
    current_password = serializers.CharField(max_length=128, style={"input_type": "password"})
    new_password = serializers.CharField(max_length=128, style={"input_type": "password"})
