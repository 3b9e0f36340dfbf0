"""Allegations against staff: the adult concerned never hears of it, the record keeps every
version, and the LADO deadline is chased once (KCSIE Part 4; docs/security.md, "Need to know")."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django_tenants.utils import schema_context

from safeguarding.models import (
    Action,
    Alert,
    Allegation,
    AllegationSettings,
    AllegationVersion,
    Concern,
)
from safeguarding.services.allegations import (
    allegation_case_manager_set,
    allegation_record_update,
    allegations_escalate_overdue,
)
from safeguarding.services.concerns import action_add, concern_record
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from tests.safeguarding.fixtures import with_two_factor
from trustplatform.accounts.models import Role, User
from trustplatform.audit.models import AuditAction, AuditEvent

ACCOUNT = "Sntallegationword: the child said an adult grabbed her arm."


def _allegation_about(world: World, school: School, adult: User) -> Concern:
    with schema_context(school.schema_name):
        return concern_record(
            school=school,
            author=person(world.person("a", Role.STAFF), Role.STAFF),
            pupil_ids=[make_pupil("Ottoline", "Brackenbury").pk],
            category_ids=category_ids("allegation-staff"),
            account=ACCOUNT,
            adult_user_id=adult.pk,
        )


def _alerted(school: School, concern: Concern) -> set[int]:
    with schema_context(school.schema_name):
        return set(Alert.objects.filter(concern=concern).values_list("user_id", flat=True))


def test_an_allegation_about_the_headteacher_neither_alerts_them_nor_appears_on_their_pages(
    world: World, school_a: School
) -> None:
    head = world.person("a", Role.HEADTEACHER)
    chair = world.person("a", Role.GOVERNOR)
    chair = with_two_factor(chair)
    with schema_context(school_a.schema_name):
        allegation_case_manager_set(
            school=school_a, actor=world.person("a", Role.DSL), user_id=chair.pk
        )
    concern = _allegation_about(world, school_a, head)

    alerted = _alerted(school_a, concern)
    assert head.pk not in alerted
    assert chair.pk in alerted  # the case manager KCSIE names
    with schema_context(school_a.schema_name):
        allegation = Allegation.objects.get(concern=concern)
        pupil_id = concern.pupils.get().pk
    assert allegation.adult_user_id == head.pk
    assert allegation.adult_name == head.full_name
    assert allegation.case_manager_id == chair.pk

    as_head = school_client(school_a, head)
    for path in (
        "/",
        "/alerts/",
        "/concerns/",
        "/concerns/?status=new",
        f"/concerns/{concern.pk}/",
        f"/allegations/{concern.pk}/",
        f"/pupils/{pupil_id}/",
        f"/pupils/{pupil_id}/chronology/",
        f"/pupils/{pupil_id}/documents/",
        f"/pupils/{pupil_id}/exports/",
    ):
        response = as_head.get(path)
        assert "Sntallegationword" not in response.text, path
        assert f"C{concern.pk}<" not in response.text, path
    assert as_head.get(f"/allegations/{concern.pk}/").status_code == 404
    with schema_context(school_a.schema_name), pytest.raises(ValidationError, match="never"):
        action_add(
            concern=concern,
            actor=person(world.person("a", Role.DSL), Role.DSL),
            kind=Action.Kind.CONVERSATION_ADULT,
            assignee=person(head, Role.HEADTEACHER),
        )
    assert as_head.post(f"/concerns/{concern.pk}/allegation/", {"notes": "x"}).status_code == 404

    # The case manager opens that allegation, and only with two-factor passed.
    as_chair = school_client(school_a, chair)
    page = as_chair.get(f"/allegations/{concern.pk}/")
    assert page.status_code == 200
    assert "Sntallegationword" in page.text
    assert as_chair.get(f"/concerns/{concern.pk}/").status_code == 404
    without_two_factor = school_client(school_a, chair, two_factor=False)
    assert without_two_factor.get(f"/allegations/{concern.pk}/").status_code == 302
    # The DSL sees it too.
    assert (
        "Sntallegationword"
        in school_client(school_a, world.person("a", Role.DSL))
        .get(f"/allegations/{concern.pk}/")
        .text
    )


def test_the_case_manager_reaches_no_other_allegation(world: World, school_a: School) -> None:
    chair = world.person("a", Role.GOVERNOR)
    chair = with_two_factor(chair)
    with schema_context(school_a.schema_name):
        allegation_case_manager_set(
            school=school_a, actor=world.person("a", Role.DSL), user_id=chair.pk
        )
    about_staff = _allegation_about(world, school_a, world.person("a", Role.KEY_HOLDER))
    assert chair.pk not in _alerted(school_a, about_staff)
    assert school_client(school_a, chair).get(f"/allegations/{about_staff.pk}/").status_code == 404


def test_the_case_manager_must_have_two_factor_and_is_never_the_headteacher(
    world: World, school_a: School
) -> None:
    dsl = world.person("a", Role.DSL)
    with schema_context(school_a.schema_name):
        with pytest.raises(ValidationError, match="two-factor"):
            allegation_case_manager_set(
                school=school_a, actor=dsl, user_id=world.person("a", Role.GOVERNOR).pk
            )
        with pytest.raises(ValidationError):
            allegation_case_manager_set(
                school=school_a, actor=dsl, user_id=world.person("a", Role.HEADTEACHER).pk
            )


def test_an_allegation_about_the_dsl_goes_to_the_headteacher_and_not_to_the_dsl(
    world: World, school_a: School
) -> None:
    dsl = world.person("a", Role.DSL)
    concern = _allegation_about(world, school_a, dsl)
    assert _alerted(school_a, concern) == {world.person("a", Role.HEADTEACHER).pk}
    as_dsl = school_client(school_a, dsl)
    assert as_dsl.get(f"/concerns/{concern.pk}/").status_code == 404
    assert as_dsl.get(f"/allegations/{concern.pk}/").status_code == 404
    assert "Sntallegationword" not in as_dsl.get("/concerns/").text
    assert (
        "Sntallegationword"
        in school_client(school_a, world.person("a", Role.HEADTEACHER))
        .get(f"/allegations/{concern.pk}/")
        .text
    )


def test_an_allegation_about_someone_outside_the_system_is_named_in_words(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        concern = concern_record(
            school=school_a,
            author=person(world.person("a", Role.STAFF), Role.STAFF),
            pupil_ids=[make_pupil("Ottoline", "Brackenbury").pk],
            category_ids=category_ids("allegation-staff"),
            account=ACCOUNT,
            adult_name="Mr Invented Coach",
            adult_role="Visiting sports coach",
        )
        allegation = Allegation.objects.get(concern=concern)
    assert allegation.adult_user_id is None
    assert (allegation.adult_name, allegation.adult_role) == (
        "Mr Invented Coach",
        "Visiting sports coach",
    )
    assert _alerted(school_a, concern) == {
        world.person("a", Role.DSL).pk,
        world.person("a", Role.HEADTEACHER).pk,
    }


def test_an_allegations_outcome_notes_and_lado_referral_keep_every_version(
    world: World, school_a: School
) -> None:
    concern = _allegation_about(world, school_a, world.person("a", Role.KEY_HOLDER))
    dsl = world.person("a", Role.DSL)
    head = world.person("a", Role.HEADTEACHER)
    as_dsl = school_client(school_a, dsl)
    as_dsl.post(
        f"/concerns/{concern.pk}/allegation/",
        {"lado_referred": "1", "lado_reference": "LADO-26-101", "notes": "First notes"},
    )
    as_dsl.post(
        f"/concerns/{concern.pk}/allegation/", {"outcome": "unfounded", "notes": "Second notes"}
    )
    school_client(school_a, head).post(
        f"/concerns/{concern.pk}/allegation/",
        {"outcome": "unsubstantiated", "notes": "Third notes"},
    )
    with schema_context(school_a.schema_name):
        versions = list(
            AllegationVersion.objects.filter(allegation__concern=concern).order_by("pk")
        )
        assert [v.notes for v in versions] == ["First notes", "Second notes", "Third notes"]
        assert [v.outcome for v in versions] == ["", "unfounded", "unsubstantiated"]
        assert [v.recorded_by_id for v in versions] == [dsl.pk, dsl.pk, head.pk]
        assert [v.supersedes_id for v in versions] == [None, versions[0].pk, versions[1].pk]
        # The referral, once made, is carried by every later version.
        assert {v.lado_reference for v in versions} == {"LADO-26-101"}
        assert all(v.lado_referred_at for v in versions)
        with pytest.raises(DatabaseError), transaction.atomic():
            AllegationVersion.objects.filter(pk=versions[0].pk).update(notes="Rewritten")
    page = as_dsl.get(f"/allegations/{concern.pk}/").text
    for text in ("First notes", "Second notes", "Third notes", "LADO-26-101", head.full_name):
        assert text in page


def test_an_unreferred_allegation_escalates_after_one_working_day_exactly_once(
    world: World, school_a: School
) -> None:
    friday_noon = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(friday_noon, tick=False):
        concern = _allegation_about(world, school_a, world.person("a", Role.KEY_HOLDER))
        referred = _allegation_about(world, school_a, world.person("a", Role.STAFF))
        with schema_context(school_a.schema_name):
            allegation_record_update(
                allegation=Allegation.objects.get(concern=referred),
                actor=person(world.person("a", Role.DSL), Role.DSL),
                lado_referred_at=friday_noon,
                lado_reference="LADO-26-7",
            )
    with schema_context(school_a.schema_name):
        allegation = Allegation.objects.get(concern=concern)
        # One working day: the weekend does not count.
        with time_machine.travel(friday_noon + dt.timedelta(days=2, hours=23), tick=False):
            assert allegations_escalate_overdue(school=school_a) == []
        monday_after = friday_noon + dt.timedelta(days=3, minutes=1)
        with time_machine.travel(monday_after, tick=False):
            assert allegations_escalate_overdue(school=school_a) == [allegation.pk]
            assert allegations_escalate_overdue(school=school_a) == []
        with time_machine.travel(monday_after + dt.timedelta(days=3), tick=False):
            assert allegations_escalate_overdue(school=school_a) == []
        chased = list(
            Alert.objects.filter(concern=concern, reason=Alert.Reason.LADO_OVERDUE).values_list(
                "user_id", flat=True
            )
        )
        assert sorted(chased) == sorted(
            [world.person("a", Role.DSL).pk, world.person("a", Role.HEADTEACHER).pk]
        )
        assert not Alert.objects.filter(concern=referred, reason=Alert.Reason.LADO_OVERDUE)


def test_the_dsl_names_the_case_manager_on_the_schools_site_and_the_head_cannot(
    world: World, school_a: School
) -> None:
    chair = with_two_factor(world.person("a", Role.GOVERNOR))
    as_dsl = school_client(school_a, world.person("a", Role.DSL))
    assert "/allegations/case-manager/" in as_dsl.get("/").text
    page = as_dsl.get("/allegations/case-manager/")
    assert chair.full_name in page.text
    assert as_dsl.post("/allegations/case-manager/", {"case_manager": chair.pk}).status_code == 302
    with schema_context(school_a.schema_name):
        settings = AllegationSettings.objects.get()
    assert (settings.case_manager_id, settings.case_manager_name) == (chair.pk, chair.full_name)
    named = AuditEvent.objects.filter(action=AuditAction.CASE_MANAGER_NAMED).latest("pk")
    assert (named.actor_id, named.school_id, named.data) == (
        world.person("a", Role.DSL).pk,
        school_a.pk,
        {"case_manager_id": chair.pk},
    )
    as_head = school_client(school_a, world.person("a", Role.HEADTEACHER))
    assert as_head.get("/allegations/case-manager/").status_code == 404
    assert as_head.post("/allegations/case-manager/", {"case_manager": ""}).status_code == 404
