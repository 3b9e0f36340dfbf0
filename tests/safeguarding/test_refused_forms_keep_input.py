"""A refused form gives back everything typed into it and says which field is wrong."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import Action, Concern
from safeguarding.services.concerns import action_add, concern_record, concern_screen
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role

LONG = (
    "She said \u201che shouts and throws things when he has been drinking\u201d and that she "
    "sleeps at her nan's on those nights. "
) * 6


def _concern(world: World, school: School, *, screened: bool = False) -> Concern:
    with schema_context(school.schema_name):
        concern = concern_record(
            school=school,
            author=person(world.person("a", Role.STAFF), Role.STAFF),
            pupil_ids=[make_pupil("Jory", "Vantongeren").pk],
            category_ids=category_ids("neglect"),
            account="Hungry at breakfast club.",
            occurred_at=timezone.now() - dt.timedelta(minutes=5),
        )
        if screened:
            concern_screen(
                concern=concern,
                screener=person(world.person("a", Role.DSL), Role.DSL),
                level=Concern.Level.MEDIUM,
                rationale="Third this term",
            )
            concern.refresh_from_db()
        return concern


def _dsl(world: World, school: School) -> Client:
    return school_client(school, world.person("a", Role.DSL))


def test_a_screening_without_a_level_keeps_the_rationale_and_names_the_level(
    world: World, school_a: School
) -> None:
    concern = _concern(world, school_a)

    page = _dsl(world, school_a).post(
        f"/concerns/{concern.pk}/screen/", {"rationale": LONG, "next_steps": "Call mum"}
    )

    assert page.status_code == 200
    assert LONG[:40] in page.text
    assert "Call mum" in page.text
    assert 'href="#id_level' in page.text  # the summary links to the field at fault
    with schema_context(school_a.schema_name):
        assert Concern.objects.get(pk=concern.pk).screened_at is None


def test_an_action_refused_by_the_service_keeps_what_was_typed(
    world: World, school_a: School
) -> None:
    concern = _concern(world, school_a, screened=True)

    # No referral without saying why not: the service refuses it.
    page = _dsl(world, school_a).post(
        f"/concerns/{concern.pk}/actions/",
        {"kind": "no_further_action", "description": LONG, "due_on": "not a date"},
    )

    assert page.status_code == 200
    assert LONG[:40] in page.text
    assert 'class="field-error"' in page.text
    with schema_context(school_a.schema_name):
        assert not Action.objects.filter(concern=concern).exists()


def test_an_empty_outcome_says_so_on_that_action(world: World, school_a: School) -> None:
    concern = _concern(world, school_a, screened=True)
    with schema_context(school_a.schema_name):
        action = action_add(
            concern=concern,
            actor=person(world.person("a", Role.DSL), Role.DSL),
            kind=Action.Kind.PARENTS_INFORMED,
        )

    page = _dsl(world, school_a).post(
        f"/concerns/{concern.pk}/actions/{action.pk}/complete/", {"outcome": "   "}
    )

    assert page.status_code == 200
    assert f'id="outcome-{action.pk}"' in page.text
    assert f'href="#outcome-{action.pk}"' in page.text


def test_closing_a_case_without_a_summary_keeps_the_choice_and_names_the_summary(
    world: World, school_a: School
) -> None:
    concern = _concern(world, school_a, screened=True)
    with schema_context(school_a.schema_name):
        Concern.objects.filter(pk=concern.pk).update(status=Concern.Status.OPEN)

    page = _dsl(world, school_a).post(
        f"/concerns/{concern.pk}/status/", {"status": "closed", "summary": ""}
    )

    assert page.status_code == 200
    assert '<option value="closed" selected>' in page.text
    assert 'href="#id_summary' in page.text
    with schema_context(school_a.schema_name):
        assert Concern.objects.get(pk=concern.pk).status == Concern.Status.OPEN


def test_a_correction_without_a_reason_keeps_the_corrected_account(
    world: World, school_a: School
) -> None:
    concern = _concern(world, school_a)

    page = _dsl(world, school_a).post(
        f"/concerns/{concern.pk}/correct/", {"account": LONG, "location": "Hall", "reason": ""}
    )

    assert page.status_code == 200
    assert LONG[:40] in page.text
    assert 'href="#id_reason"' in page.text


def test_a_refused_concern_keeps_pupils_categories_and_text_and_names_each_field(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Jory", "Vantongeren")
        category = str(category_ids("neglect")[0])
    client = school_client(school_a, world.person("a", Role.STAFF))

    page = client.post(
        "/concerns/new/",
        {
            "pupils": [str(pupil.pk)],
            "categories": [category],
            "occurred_at": "yesterday-ish",
            "location": "Dining hall",
            "account": LONG,
        },
    )

    assert page.status_code == 200
    assert f'name="pupils" value="{pupil.pk}" checked' in page.text
    assert f'value="{category}" checked' in page.text
    assert "Dining hall" in page.text
    assert LONG[:40] in page.text
    assert 'href="#id_occurred_at"' in page.text
