"""SimpleJWT's views with the token throttle and an accurate schema."""

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework_simplejwt import views

from apps.api.schema import ErrorSerializer
from apps.api.throttling import TokenRateThrottle
from apps.users.serializers import TokenObtainInputSerializer, TokenRefreshInputSerializer

_TokenPair = inline_serializer("TokenPair", {"access": serializers.CharField(), "refresh": serializers.CharField()})
_Empty = inline_serializer("Empty", {})
_Unauthorized = {401: ErrorSerializer}


def _schema(operation_id: str, response: Any) -> Any:
    return extend_schema_view(
        post=extend_schema(operation_id=operation_id, responses={200: response, **_Unauthorized}, tags=["auth"])
    )


@_schema("token_obtain", _TokenPair)
class TokenObtainPairApi(views.TokenObtainPairView):
    """Email + password -> access and refresh tokens."""

    serializer_class = TokenObtainInputSerializer
    throttle_classes = (TokenRateThrottle,)


@_schema("token_refresh", _TokenPair)
class TokenRefreshApi(views.TokenRefreshView):
    """A refresh token -> a new pair; the old refresh token is blacklisted (rotation), and replaying
    it revokes every refresh token of its owner."""

    serializer_class = TokenRefreshInputSerializer


@_schema("token_verify", _Empty)
class TokenVerifyApi(views.TokenVerifyView):
    """200 if the token is valid."""


@_schema("token_blacklist", _Empty)
class TokenBlacklistApi(views.TokenBlacklistView):
    """Revoke a refresh token (log out)."""
