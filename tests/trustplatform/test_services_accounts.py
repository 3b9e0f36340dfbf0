from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tenants.models import School
from tests.conftest import World
from trustplatform.accounts.models import Role, SchoolMembership
from trustplatform.accounts.services import (
    school_membership_add,
    trust_membership_add,
    user_create,
)

PASSWORD = "correct-horse-battery-staple"


def test_a_password_shorter_than_twelve_characters_is_refused(db: None) -> None:
    with pytest.raises(ValidationError, match="at least 12 characters"):
        user_create(email="new.teacher@example.org", full_name="Nell Tarrant", password="short-pw1")


def test_emails_are_stored_in_lower_case_and_unique(db: None) -> None:
    user_create(email="Nell.Tarrant@Example.org", full_name="Nell Tarrant", password=PASSWORD)
    with pytest.raises(ValidationError):
        user_create(email="nell.tarrant@example.org", full_name="Nell Tarrant", password=PASSWORD)


def test_a_school_has_exactly_one_dsl(school_a: School) -> None:
    first = user_create(email="dsl.one@example.org", full_name="Ada Penhallow", password=PASSWORD)
    second = user_create(email="dsl.two@example.org", full_name="Bea Trelawny", password=PASSWORD)
    school_membership_add(user=first, school=school_a, role=Role.DSL)

    with pytest.raises(ValidationError, match="already has a DSL"):
        school_membership_add(user=second, school=school_a, role=Role.DSL)
    assert SchoolMembership.objects.filter(school=school_a, role=Role.DSL).count() == 1


def test_trust_roles_and_school_roles_do_not_mix(world: World, school_a: School) -> None:
    user = user_create(email="mixed@example.org", full_name="Cai Polglaze", password=PASSWORD)
    with pytest.raises(ValidationError, match="not a role within a school"):
        school_membership_add(user=user, school=school_a, role=Role.TRUSTEE)
    with pytest.raises(ValidationError, match="not a role within a trust"):
        trust_membership_add(user=user, trust=world.trust, role=Role.DSL)
