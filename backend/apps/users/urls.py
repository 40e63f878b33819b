from django.urls import path

from apps.users import apis, auth_apis

user_urlpatterns = [
    path("", apis.UserListCreateApi.as_view(), name="user-list"),
    path("me/", apis.UserMeApi.as_view(), name="user-me"),
    path("me/password/", apis.UserMePasswordApi.as_view(), name="user-me-password"),
    path("<int:pk>/", apis.UserDetailApi.as_view(), name="user-detail"),
]

token_urlpatterns = [
    path("", auth_apis.TokenObtainPairApi.as_view(), name="token-obtain"),
    path("refresh/", auth_apis.TokenRefreshApi.as_view(), name="token-refresh"),
    path("verify/", auth_apis.TokenVerifyApi.as_view(), name="token-verify"),
    path("blacklist/", auth_apis.TokenBlacklistApi.as_view(), name="token-blacklist"),
]
