from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from safeguarding.models import Category
from tenants.models import School, Trust
from tests.conftest import World
from trustplatform.accounts.models import SCHOOL_ROLES, TRUST_ROLES, SchoolMembership, User
from trustplatform.demo_data import DEMO_PASSWORD, DEMO_SCHOOLS


def test_demo_seed_creates_three_schools_and_a_person_for_every_role(
    world: World, db: None
) -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)

    trust = Trust.objects.get(slug="kestrel-vale")
    schools = School.objects.filter(trust=trust)
    assert schools.count() == 3
    for school in schools:
        roles = set(SchoolMembership.objects.filter(school=school).values_list("role", flat=True))
        assert roles == {r.value for r in SCHOOL_ROLES}
        with schema_context(school.schema_name):
            assert Category.objects.exists()
    assert set(trust.memberships.values_list("role", flat=True)) == {r.value for r in TRUST_ROLES}
    assert "http://oakfield.localhost:8000/" in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()
    assert User.objects.get(email="dsl.oakfield@example.org").check_password(DEMO_PASSWORD)


def test_demo_seed_twice_adds_nothing(world: World, db: None) -> None:
    call_command("seed_demo", stdout=StringIO())
    counts = (School.objects.count(), User.objects.count(), SchoolMembership.objects.count())

    call_command("seed_demo", stdout=StringIO())

    assert (
        School.objects.count(),
        User.objects.count(),
        SchoolMembership.objects.count(),
    ) == counts
    assert School.objects.filter(slug__in=[s.slug for s in DEMO_SCHOOLS]).count() == 3


def test_demo_seed_is_refused_in_production(
    world: World, db: None, settings: pytest.FixtureRequest
) -> None:
    settings.IS_PRODUCTION = True  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="never seeded in production"):
        call_command("seed_demo", stdout=StringIO())
