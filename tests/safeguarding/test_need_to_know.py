"""Need to know inside a school: a key holder sees a record only when it is wholly inside their
grant."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from safeguarding.services.access import key_holder_access_set
from safeguarding.services.concerns import concern_record
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role


def _grant(world: World, school: School, codes: tuple[str, ...], years: list[int]) -> None:
    key_holder_access_set(
        school=school,
        key_holder=world.person("a", Role.KEY_HOLDER),
        category_ids=category_ids(*codes),
        year_groups=years,
        actor=world.person("a", Role.DSL),
    )


def test_a_concern_with_a_category_outside_the_grant_is_not_shown_at_all(
    world: World, school_a: School
) -> None:
    staff = person(world.person("a", Role.STAFF), Role.STAFF)
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Perpetua", "Alderwick", year_group=5)
        mixed = concern_record(
            school=school_a,
            author=staff,
            pupil_ids=[pupil.pk],
            category_ids=category_ids("online-safety", "sexual-abuse"),
            account="Partly restricted account.",
        )
        inside = concern_record(
            school=school_a,
            author=staff,
            pupil_ids=[pupil.pk],
            category_ids=category_ids("online-safety"),
            account="Wholly granted account.",
        )
        _grant(world, school_a, ("online-safety", "bullying"), [5, 6])
    client = school_client(school_a, world.person("a", Role.KEY_HOLDER))

    assert client.get(f"/concerns/{mixed.pk}/").status_code == 404
    assert client.get(f"/concerns/{inside.pk}/").status_code == 200
    chronology = client.get(f"/pupils/{pupil.pk}/chronology/").text
    assert "Wholly granted account." in chronology
    assert "Partly restricted account." not in chronology
    assert not re.search(r"Concern recorded:[^<]*Sexual abuse", chronology)
    assert f"C{mixed.pk}<" not in client.get("/concerns/").text


def test_a_concern_naming_a_pupil_outside_the_granted_years_is_not_shown(
    world: World, school_a: School
) -> None:
    staff = person(world.person("a", Role.STAFF), Role.STAFF)
    with schema_context(school_a.schema_name):
        year5 = make_pupil("Perpetua", "Alderwick", year_group=5)
        year4 = make_pupil("Leopold", "Sandiford", year_group=4)
        both = concern_record(
            school=school_a,
            author=staff,
            pupil_ids=[year5.pk, year4.pk],
            category_ids=category_ids("bullying"),
            account="Both of them at the gate.",
        )
        _grant(world, school_a, ("bullying",), [5, 6])
    client = school_client(school_a, world.person("a", Role.KEY_HOLDER))

    assert client.get(f"/concerns/{both.pk}/").status_code == 404
    assert "Leopold" not in client.get("/concerns/").text
    assert "Both of them at the gate." not in client.get(f"/pupils/{year5.pk}/chronology/").text


@pytest.mark.parametrize(
    ("codes", "years", "message"),
    [((), [5], "category"), (("bullying",), [], "year group")],
)
def test_a_grant_with_no_category_or_no_year_group_is_refused(
    world: World, school_a: School, codes: tuple[str, ...], years: list[int], message: str
) -> None:
    with schema_context(school_a.schema_name), pytest.raises(ValidationError, match=message):
        _grant(world, school_a, codes, years)
