"""A key holder sees only the year groups and categories the DSL granted them."""

from __future__ import annotations

from django_tenants.utils import schema_context

from safeguarding.services.access import key_holder_access_set
from safeguarding.services.concerns import concern_record
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role


def test_a_key_holder_sees_only_granted_categories_and_year_groups(
    world: World, school_a: School
) -> None:
    staff = person(world.person("a", Role.STAFF), Role.STAFF)
    with schema_context(school_a.schema_name):
        year6 = make_pupil("Marisol", "Quartermaine", year_group=6, form="6A")
        year2 = make_pupil("Tobiah", "Quartermaine", year_group=2, form="2C")
        bullying = concern_record(
            school=school_a,
            author=staff,
            pupil_ids=[year6.pk],
            category_ids=category_ids("bullying"),
            account="Pushed in the line again.",
        )
        neglect = concern_record(
            school=school_a,
            author=staff,
            pupil_ids=[year6.pk],
            category_ids=category_ids("neglect"),
            account="Same uniform all week.",
        )
        younger = concern_record(
            school=school_a,
            author=staff,
            pupil_ids=[year2.pk],
            category_ids=category_ids("bullying"),
            account="Name-calling at lunch.",
        )
        key_holder_access_set(
            school=school_a,
            key_holder=world.person("a", Role.KEY_HOLDER),
            category_ids=category_ids("bullying"),
            year_groups=[6],
            actor=world.person("a", Role.DSL),
        )
    client = school_client(school_a, world.person("a", Role.KEY_HOLDER))

    assert client.get(f"/concerns/{bullying.pk}/").status_code == 200
    assert client.get(f"/concerns/{neglect.pk}/").status_code == 404
    assert client.get(f"/concerns/{younger.pk}/").status_code == 404
    assert client.get(f"/pupils/{year2.pk}/chronology/").status_code == 404

    chronology = client.get(f"/pupils/{year6.pk}/chronology/")
    assert chronology.status_code == 200
    assert "Pushed in the line again." in chronology.text
    assert "Same uniform all week." not in chronology.text


def test_a_key_holder_without_a_grant_sees_no_child_records(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Marisol", "Quartermaine", year_group=6)
    client = school_client(school_a, world.person("a", Role.KEY_HOLDER))
    assert client.get(f"/pupils/{pupil.pk}/chronology/").status_code == 404
    assert "Marisol" not in client.get("/concerns/").text
