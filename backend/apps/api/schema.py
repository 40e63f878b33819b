"""OpenAPI generation that documents the error responses each operation can really return."""

from typing import Any

from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular import openapi
from drf_spectacular.drainage import get_override, has_override
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers


class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every 4xx and 5xx answer (see apps.api.errors)."""

    status = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField()
    # The metaclass moves declared fields off the class, so this doesn't shadow Serializer.errors.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(), required=False, help_text="Messages by field."
    )
    request_id = serializers.CharField()


_BODY_METHODS = {"POST", "PUT", "PATCH"}
_DESCRIPTIONS = {
    400: "Invalid input or malformed JSON.",
    401: "Missing, invalid or expired credentials.",
    403: "Authenticated, but not allowed.",
    404: "No such object, or page out of range.",
    406: "The Accept header asks for a format other than JSON.",
    413: "Body larger than the allowed size.",
    415: "Content type is not JSON.",
    429: "Rate limit exceeded; see Retry-After.",
    503: "The database is unreachable; retry later.",
}


# DRF refuses NUL in every CharField (PostgreSQL can't store it), so the schema must too.
NO_NUL_PATTERN = "^[^\\u0000]*$"
# Django's EmailValidator is stricter than `format: email` (a top-level domain has two characters or
# more, for one). The addresses it takes, less the quoted local parts, IP literals and international
# domains it also accepts but no schema-driven client needs.
_ATOM = "[-!#$%&'*+/=?^_`{|}~0-9A-Za-z]+"
_LABEL = "[0-9A-Za-z]([-0-9A-Za-z]{0,61}[0-9A-Za-z])?"
EMAIL_PATTERN = f"^{_ATOM}(\\.{_ATOM})*@(localhost|({_LABEL}\\.)+[-0-9A-Za-z]{{1,62}}[0-9A-Za-z])$"


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> Any:
        operation = super().get_operation(*args, **kwargs)
        if operation is not None and "security" not in operation:
            operation["security"] = []  # says "public" outright: no padlock in Swagger UI, no credentials asked
        return operation

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)  # type: ignore[no-untyped-call]
        if direction == "request" and isinstance(schema, dict) and schema.get("type") == "string":
            if isinstance(field, serializers.EmailField):
                schema["pattern"] = EMAIL_PATTERN
            elif "pattern" not in schema and any(
                isinstance(v, ProhibitNullCharactersValidator) for v in field.validators
            ):
                schema["pattern"] = NO_NUL_PATTERN
        override = get_override(field, "field") if has_override(field, "field") else None
        if isinstance(schema, dict) and isinstance(override, dict) and "minLength" in override:
            # drf-spectacular writes minLength 1 over it for every non-blank CharField.
            schema["minLength"] = override["minLength"]
        return schema

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._error_statuses():
            response = OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code])
            body = self._get_response_for_code(response, str(code), direction=direction)  # type: ignore[no-untyped-call]
            responses.setdefault(str(code), body)
        return dict(sorted(responses.items()))

    def _error_statuses(self) -> set[int]:
        view = self.view
        statuses = {406, 503}
        if self.method in _BODY_METHODS:
            statuses |= {400, 413, 415}
        if view.get_authenticators():
            statuses.add(401)  # a bad Authorization header fails even where login is optional
        if any(not isinstance(p, permissions.AllowAny) for p in view.get_permissions()):
            statuses |= {401, 403}
        if "{" in self.path or self._is_list_view():
            statuses.add(404)
        if self._is_list_view():
            statuses.add(400)
        if view.get_throttles():
            statuses.add(429)
        return statuses
