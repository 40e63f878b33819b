"""Token revocation: on every password change, and for the whole family when a rotated refresh token is replayed.

Access tokens carry SimpleJWT's REVOKE_TOKEN_CLAIM (a digest of the password hash), so a password
change refuses them on their next request; refresh tokens are blacklisted here, so they can't mint more.
"""

from typing import Any

from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import UntypedToken

from apps.users.events import record
from apps.users.models import User


def revoke_refresh_tokens(user: User) -> int:
    """Blacklist every unexpired refresh token of `user`; returns how many were still usable."""
    usable = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True)
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in usable], ignore_conflicts=True
    )
    return len(revoked)


def replayed_refresh_token_owner(raw: str) -> User | None:
    """The owner of `raw` if it is a genuine refresh token that was already rotated or revoked."""
    try:
        # Signature and expiry checked, not the blacklist; SimpleJWT's hints say Token, it decodes str.
        token = UntypedToken(raw)  # type: ignore[arg-type]
    except TokenError:
        return None
    if token.get(api_settings.TOKEN_TYPE_CLAIM) != "refresh":
        return None
    replayed = BlacklistedToken.objects.filter(token__jti=token.get(api_settings.JTI_CLAIM)).select_related(
        "token__user"
    )
    entry = replayed.first()
    return entry.token.user if entry else None


def revoke_family_on_replay(raw: str) -> None:
    """RFC 9700 refresh rotation: a replayed refresh token means theft, so every refresh token of its owner dies."""
    owner = replayed_refresh_token_owner(raw)
    if owner is not None:
        record("refresh_reuse", owner.pk, revoked=str(revoke_refresh_tokens(owner)))


class RevokeTokensOnPasswordChange:
    """Listed in AUTH_PASSWORD_VALIDATORS for Django's documented `password_changed` hook, which runs
    whenever a new password is saved (API, admin, `changepassword`, anything calling set_password),
    including an account's first one at creation."""

    def validate(self, password: str, user: Any = None) -> None:
        """Accepts every password: this entry exists for password_changed."""

    def password_changed(self, password: str, user: Any = None) -> None:
        if isinstance(user, User) and user.pk is not None:
            record("password_change", user.pk, revoked=str(revoke_refresh_tokens(user)))

    def get_help_text(self) -> str:
        return "Changing it signs you out everywhere: every token issued before stops working."
