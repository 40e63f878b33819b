"""Reads of accounts; services write, views call both."""

from django.db.models import QuerySet

from apps.users.models import User


def user_list() -> QuerySet[User]:
    """Every account, in the model's order (by id), for listing and for looking one up by id."""
    return User.objects.all()
