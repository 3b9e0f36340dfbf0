"""Destructive buttons of a school's site ask first, in a page of their own (no JavaScript)."""

from __future__ import annotations

import datetime as dt

from django_tenants.utils import schema_context

from safeguarding.models import Category, FamilyLink
from safeguarding.services.pupils import family_link_add
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import make_pupil
from trustplatform.accounts.models import Role, SchoolMembership
from trustplatform.schooldays.models import ClosureDay, Term


def test_remove_access_asks_first_and_only_the_confirmation_removes(
    world: World, school_a: School
) -> None:
    governor = world.person("a", Role.GOVERNOR)
    membership = SchoolMembership.objects.get(user=governor, school=school_a)
    client = school_client(school_a, world.person("a", Role.DSL))

    asked = client.post(f"/staff/{membership.pk}/remove/")

    assert asked.status_code == 200
    assert f"Remove {governor.full_name}" in asked.text and "Yes, remove access" in asked.text
    assert 'name="confirmed" value="yes"' in asked.text and 'href="/staff/"' in asked.text
    assert SchoolMembership.objects.filter(pk=membership.pk).exists()

    done = client.post(f"/staff/{membership.pk}/remove/", {"confirmed": "yes"})

    assert done.status_code == 302
    assert not SchoolMembership.objects.filter(pk=membership.pk).exists()


def test_term_and_closure_removal_ask_first(world: World, school_a: School) -> None:
    term = Term.objects.create(
        school=school_a,
        academic_year=2031,
        name=Term.Name.AUTUMN,
        first_day=dt.date(2031, 9, 1),
        last_day=dt.date(2031, 12, 19),
    )
    closure = ClosureDay.objects.create(school=school_a, day=dt.date(2031, 9, 1), reason="INSET")
    client = school_client(school_a, world.person("a", Role.DSL))

    assert "Yes, remove the term" in client.post(f"/calendar/terms/{term.pk}/remove/").text
    assert "Yes, remove the closure" in client.post(f"/calendar/closures/{closure.pk}/remove/").text
    assert Term.objects.filter(pk=term.pk).exists()
    assert ClosureDay.objects.filter(pk=closure.pk).exists()

    client.post(f"/calendar/terms/{term.pk}/remove/", {"confirmed": "yes"})
    client.post(f"/calendar/closures/{closure.pk}/remove/", {"confirmed": "yes"})
    assert not Term.objects.filter(pk=term.pk).exists()
    assert not ClosureDay.objects.filter(pk=closure.pk).exists()


def test_removing_a_family_link_asks_first_and_carries_the_form(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil, sister = make_pupil("Kerensa", "Bolitho"), make_pupil("Demelza", "Bolitho")
        family_link_add(pupil=pupil, relative=sister, relationship=FamilyLink.Relationship.SIBLING)
    client = school_client(school_a, world.person("a", Role.DSL))
    url = f"/pupils/{pupil.pk}/family/{sister.pk}/remove/"

    asked = client.post(url, {"back": "detail"})

    assert asked.status_code == 200 and "Remove this family link?" in asked.text
    assert 'name="back" value="detail"' in asked.text
    with schema_context(school_a.schema_name):
        assert FamilyLink.objects.exists()

    done = client.post(url, {"back": "detail", "confirmed": "yes"})
    assert done["Location"] == f"/pupils/{pupil.pk}/"
    with schema_context(school_a.schema_name):
        assert not FamilyLink.objects.exists()


def test_retiring_a_category_asks_first(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        category = Category.objects.get(code="bullying")
    client = school_client(school_a, world.person("a", Role.DSL))

    asked = client.post(f"/categories/{category.pk}/retire/")
    assert "Yes, retire it" in asked.text
    with schema_context(school_a.schema_name):
        assert Category.objects.get(pk=category.pk).retired_at is None

    client.post(f"/categories/{category.pk}/retire/", {"confirmed": "yes"})
    with schema_context(school_a.schema_name):
        assert Category.objects.get(pk=category.pk).retired_at is not None
