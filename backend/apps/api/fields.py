"""Serializer fields that accept exactly what the OpenAPI schema states, for any app's input serializers."""

from typing import Any

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """Text only: DRF turns numbers into strings, which the schema's `type: string` doesn't allow."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true/false only: DRF also takes "yes", "on", 1 and more, which `type: boolean` doesn't allow."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class PasswordField(StrictCharField):
    """Kept as typed: trimming spaces would store a password that the token endpoint then refuses."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            write_only=True, max_length=128, trim_whitespace=False, style={"input_type": "password"}, **kwargs
        )
