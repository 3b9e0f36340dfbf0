from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from safeguarding.models import Category, KeyHolderGrant, YearGroup
from safeguarding.services.access import key_holder_access_set
from tenants.models import School
from tests.conftest import World, school_client
from trustplatform.accounts.models import Role, SchoolMembership
from trustplatform.audit.models import AuditAction, AuditEvent


def _standard(codes: list[str]) -> list[int]:
    return list(Category.objects.filter(code__in=codes).values_list("pk", flat=True))


def test_the_dsl_grants_a_key_holder_categories_and_year_groups(
    world: World, school_a: School
) -> None:
    key_holder, dsl = world.person("a", Role.KEY_HOLDER), world.person("a", Role.DSL)
    with schema_context(school_a.schema_name):
        ids = _standard(["bullying", "online-safety"])
        key_holder_access_set(
            school=school_a,
            key_holder=key_holder,
            category_ids=ids,
            year_groups=[YearGroup.YEAR_7, YearGroup.YEAR_8],
            actor=dsl,
        )
        grant = KeyHolderGrant.objects.get(user_id=key_holder.pk)
        assert set(grant.categories.values_list("pk", flat=True)) == set(ids)
        assert grant.year_groups == [7, 8]
        assert grant.granted_by_name == dsl.full_name

    event = AuditEvent.objects.filter(action=AuditAction.KEY_HOLDER_ACCESS_CHANGED).latest("id")
    assert event.data["old"] == {"category_ids": [], "year_groups": []}
    assert event.data["new"] == {"category_ids": sorted(ids), "year_groups": [7, 8]}


def test_restricted_categories_are_never_granted_to_key_holders(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        with pytest.raises(ValidationError, match="Restricted categories"):
            key_holder_access_set(
                school=school_a,
                key_holder=world.person("a", Role.KEY_HOLDER),
                category_ids=_standard(["sexual-abuse"]),
                year_groups=[],
                actor=world.person("a", Role.DSL),
            )
        assert not KeyHolderGrant.objects.exists()


def test_only_key_holders_receive_grants(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name), pytest.raises(ValidationError, match="key holders"):
        key_holder_access_set(
            school=school_a,
            key_holder=world.person("a", Role.STAFF),
            category_ids=[],
            year_groups=[],
            actor=world.person("a", Role.DSL),
        )


def test_unknown_year_groups_are_refused(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name), pytest.raises(ValidationError, match="year groups"):
        key_holder_access_set(
            school=school_a,
            key_holder=world.person("a", Role.KEY_HOLDER),
            category_ids=[],
            year_groups=[14],
            actor=world.person("a", Role.DSL),
        )


def test_the_access_page_saves_the_grant_and_lists_only_standard_categories(
    world: World, school_a: School
) -> None:
    key_holder = world.person("a", Role.KEY_HOLDER)
    membership = SchoolMembership.objects.get(user=key_holder, school=school_a)
    client = school_client(school_a, world.person("a", Role.DSL))
    url = f"/staff/{membership.pk}/access/"

    page = client.get(url)
    assert page.status_code == 200
    assert "Bullying" in page.text
    assert "Sexual abuse" not in page.text

    with schema_context(school_a.schema_name):
        bullying = Category.objects.get(code="bullying").pk
    response = client.post(url, {"categories": [str(bullying)], "year_groups": ["9"]})
    assert response.status_code == 302
    with schema_context(school_a.schema_name):
        grant = KeyHolderGrant.objects.get(user_id=key_holder.pk)
        assert list(grant.categories.values_list("pk", flat=True)) == [bullying]
        assert grant.year_groups == [9]
