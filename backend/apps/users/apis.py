"""Small API classes: parse input with a serializer, call a service, render the output."""

from typing import Any

from django.contrib.auth import authenticate
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from apps.api.throttling import SignUpRateThrottle
from apps.users import selectors, services
from apps.users.events import ACCESS_FIELDS, record
from apps.users.lockout import raise_if_locked_out
from apps.users.models import User
from apps.users.serializers import (
    PasswordChangeInputSerializer,
    ProfileUpdateInputSerializer,
    SignUpInputSerializer,
    StaffUserUpdateInputSerializer,
    UserOutputSerializer,
)


def _validated(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# An output serializer keeps no state between calls: one instance renders every response, so DRF
# deep-copies its declared fields once instead of on every request (a tenth of GET /api/users/me/).
_USER_OUTPUT = UserOutputSerializer()


def _output(user: User, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(_USER_OUTPUT.to_representation(user), status=status_code)


@extend_schema(tags=["users"])
class UserListCreateApi(GenericAPIView[User]):
    """`POST` is public sign-up (strictly throttled); `GET` lists accounts for staff."""

    serializer_class = UserOutputSerializer

    def get_queryset(self) -> QuerySet[User]:
        return selectors.user_list()

    def get_permissions(self) -> list[permissions.BasePermission]:
        # A method the view lacks is a 405 for everyone (permissions run first in DRF), as the schema says.
        if self.request.method == "POST" or self.request.method not in self.allowed_methods:
            return [permissions.AllowAny()]
        return [permissions.IsAdminUser()]

    def get_throttles(self) -> list[BaseThrottle]:
        throttles = super().get_throttles()
        return [*throttles, SignUpRateThrottle()] if self.request.method == "POST" else throttles

    @extend_schema(operation_id="users_list", responses=UserOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(UserOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="users_sign_up",
        auth=[],  # public: no padlock in Swagger UI
        request=SignUpInputSerializer,
        responses={201: UserOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        user = services.user_sign_up(**_validated(SignUpInputSerializer, request))
        return _output(user, status.HTTP_201_CREATED)


@extend_schema(tags=["users"])
class UserMeApi(GenericAPIView[User]):
    """The logged-in user's own profile."""

    serializer_class = UserOutputSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self) -> User:
        return self.request.user  # type: ignore[return-value]

    @extend_schema(operation_id="users_me_retrieve", responses=UserOutputSerializer)
    def get(self, request: Request) -> Response:
        return _output(self.get_object())

    @extend_schema(
        operation_id="users_me_update",
        request=ProfileUpdateInputSerializer,
        responses=UserOutputSerializer,
    )
    def patch(self, request: Request) -> Response:
        user = self.get_object()
        data = _validated(ProfileUpdateInputSerializer, request)
        return _output(services.user_update(user=user, actor=user, data=data))


@extend_schema(tags=["users"])
class UserMePasswordApi(GenericAPIView[User]):
    """Change one's own password; the current one is required. Every token of the account is revoked,
    the caller's included: the client logs in again with the new password."""

    serializer_class = PasswordChangeInputSerializer

    @extend_schema(
        operation_id="users_me_password_change",
        request=PasswordChangeInputSerializer,
        responses={204: OpenApiResponse(description="Password changed.")},
    )
    def post(self, request: Request) -> Response:
        data = _validated(PasswordChangeInputSerializer, request)
        user: User = request.user  # type: ignore[assignment]  # IsAuthenticated
        authenticated = authenticate(request, email=user.email, password=data["current_password"])
        if authenticated is None:
            raise_if_locked_out(request)
        services.user_change_password(user=user, authenticated=authenticated, new_password=data["new_password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["users"])
class UserDetailApi(GenericAPIView[User]):
    """Staff only: read, change or delete one account."""

    serializer_class = UserOutputSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_permissions(self) -> list[permissions.BasePermission]:
        # As on the list: a method the view lacks is a 405, not a 403.
        return [permissions.IsAdminUser()] if self.request.method in self.allowed_methods else []

    def get_queryset(self) -> QuerySet[User]:
        return selectors.user_list()

    @extend_schema(operation_id="users_retrieve", responses=UserOutputSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return _output(self.get_object())

    @extend_schema(
        operation_id="users_update",
        request=StaffUserUpdateInputSerializer,
        responses=UserOutputSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        user = self.get_object()
        data = _validated(StaffUserUpdateInputSerializer, request)
        updated = services.user_update(user=user, actor=request.user, data=data)  # type: ignore[arg-type]
        if changed := ACCESS_FIELDS & data.keys():
            record("access_change", user.pk, actor=str(request.user.pk), fields=",".join(sorted(changed)))
        return _output(updated)

    @extend_schema(operation_id="users_destroy", responses={204: OpenApiResponse(description="Deleted.")})
    def delete(self, request: Request, pk: int) -> Response:
        services.user_delete(user=self.get_object(), actor=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
