"""factory_boy factories for accounts: the tests build with them, and `manage.py seed` makes its sample data.

Accounts are looked up by email (`django_get_or_create`): building one that exists returns it unchanged.
"""

import factory
from factory.django import DjangoModelFactory, Password

from apps.users.models import User


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    # No usable password unless one is given: sample accounts can't be logged into by a guess.
    password = Password(None)


class StaffFactory(UserFactory):
    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    is_staff = True
