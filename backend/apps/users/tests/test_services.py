"""The account rules at the service layer, without HTTP: what test_staff_api.py checks through the API."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.users import services
from apps.users.models import User
from testing import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("target_kind", ["staff", "superuser"])
def test_staff_cannot_change_or_delete_privileged_accounts(staff, superuser, target_kind):
    target = make_user("colleague@example.com", is_staff=True) if target_kind == "staff" else superuser

    with pytest.raises(PermissionDenied, match="Only a superuser can manage staff accounts"):
        services.user_update(user=target, actor=staff, data={"first_name": "Mallory"})
    with pytest.raises(PermissionDenied, match="Only a superuser can manage staff accounts"):
        services.user_delete(user=target, actor=staff)

    target.refresh_from_db()
    assert target.first_name != "Mallory"


def test_staff_manage_ordinary_accounts(staff, user):
    services.user_update(user=user, actor=staff, data={"first_name": "Una", "is_active": False})
    user.refresh_from_db()
    assert (user.first_name, user.is_active) == ("Una", False)

    services.user_delete(user=user, actor=staff)
    assert not User.objects.filter(pk=user.pk).exists()


def test_only_a_superuser_grants_staff(staff, superuser, user):
    with pytest.raises(PermissionDenied, match="Only a superuser can grant staff status"):
        services.user_update(user=user, actor=staff, data={"is_staff": True})

    services.user_update(user=user, actor=superuser, data={"is_staff": True})
    user.refresh_from_db()
    assert user.is_staff


def test_a_superuser_manages_staff_accounts(superuser, staff):
    services.user_update(user=staff, actor=superuser, data={"is_staff": False})
    staff.refresh_from_db()
    assert not staff.is_staff


@pytest.mark.parametrize("field", ["is_active", "is_staff"])
def test_nobody_changes_their_own_access(superuser, field):
    with pytest.raises(PermissionDenied, match="You cannot change your own access"):
        services.user_update(user=superuser, actor=superuser, data={field: False})


def test_nobody_deletes_themselves_here(superuser):
    with pytest.raises(PermissionDenied, match="You cannot delete your own account here"):
        services.user_delete(user=superuser, actor=superuser)
    assert User.objects.filter(pk=superuser.pk).exists()


def test_the_unique_email_rule_holds_in_any_case(user, other_user):
    with pytest.raises(ValidationError) as taken:
        services.user_update(user=other_user, actor=other_user, data={"email": "USER@example.com"})
    assert taken.value.message_dict == {"email": [services.DUPLICATE_EMAIL]}

    with pytest.raises(ValidationError) as signed_up:
        services.user_sign_up(email="User@Example.com", password=PASSWORD)
    assert signed_up.value.message_dict == {"email": [services.DUPLICATE_EMAIL]}
    assert User.objects.count() == 2


def test_a_weak_password_is_refused_by_field(db):
    with pytest.raises(ValidationError) as weak:
        services.user_sign_up(email="weak@example.com", password="password123")
    assert "password" in weak.value.message_dict
    assert not User.objects.filter(email="weak@example.com").exists()
