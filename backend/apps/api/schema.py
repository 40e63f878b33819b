"""OpenAPI generation that documents the error responses each operation can really return."""

from typing import Any

from drf_spectacular import openapi
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
}


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._error_statuses():
            response = OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code])
            body = self._get_response_for_code(response, str(code), direction=direction)  # type: ignore[no-untyped-call]
            responses.setdefault(str(code), body)
        return dict(sorted(responses.items()))

    def _error_statuses(self) -> set[int]:
        view = self.view
        statuses = {406}
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
