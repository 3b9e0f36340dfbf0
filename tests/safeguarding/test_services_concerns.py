from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from safeguarding.models import (
    Action,
    Alert,
    Allegation,
    ChronologyEntry,
    Concern,
    Source,
)
from safeguarding.services.concerns import (
    action_add,
    action_complete,
    concern_record,
    concern_screen,
    concern_status_set,
    concerns_escalate_overdue,
    contact_record,
)
from safeguarding.tasks import concern_alert_emails_task
from tenants.models import School
from tests.conftest import World
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role

pytestmark = pytest.mark.usefixtures("in_school_a")


def _record(world: World, school: School, **overrides: object) -> Concern:
    fields: dict[str, object] = {
        "school": school,
        "author": person(world.person("a", Role.STAFF), Role.STAFF),
        "pupil_ids": [make_pupil("Elowen", "Marchetti").pk],
        "category_ids": category_ids("neglect"),
        "account": 'She said: "there was no tea again last night".',
        "location": "Classroom 4",
    } | overrides
    return concern_record(**fields)  # type: ignore[arg-type]


def test_a_concern_is_recorded_in_each_pupils_chronology_and_alerts_the_dsl_and_deputies(
    world: World, school_a: School
) -> None:
    first, second = make_pupil("Elowen", "Marchetti"), make_pupil("Rafferty", "Marchetti")
    concern = _record(world, school_a, pupil_ids=[first.pk, second.pk])

    entries = ChronologyEntry.objects.filter(concern=concern)
    assert {e.pupil_id for e in entries} == {first.pk, second.pk}
    assert all(e.kind == "concern" and "no tea" in e.body for e in entries)
    alerted = set(Alert.objects.filter(concern=concern).values_list("user_id", flat=True))
    assert alerted == {world.person("a", Role.DSL).pk, world.person("a", Role.DEPUTY_DSL).pk}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pupil_ids": []}, "pupils"),
        ({"category_ids": []}, "categories"),
        ({"account": "   "}, "account"),
        ({"occurred_at": timezone.now() - dt.timedelta(days=2)}, "backdate_reason"),
        ({"occurred_at": timezone.now() + dt.timedelta(hours=2)}, "occurred_at"),
        ({"body_map": [{"side": "top", "x": 0.5, "y": 0.5}]}, "body_map"),
        ({"source": Source.PAPER_FORM}, "source"),
    ],
)
def test_a_bad_concern_is_refused_with_a_clear_message_and_nothing_written(
    world: World, school_a: School, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        _record(world, school_a, **overrides)
    assert field in error.value.message_dict
    assert not Concern.objects.exists()
    assert not ChronologyEntry.objects.exists()


def test_a_backdated_concern_with_a_reason_is_accepted(world: World, school_a: School) -> None:
    when = timezone.now() - dt.timedelta(days=1)
    concern = _record(world, school_a, occurred_at=when, backdate_reason="Off-site trip")
    entry = ChronologyEntry.objects.get(concern=concern)
    assert entry.occurred_at == when
    assert entry.backdate_reason == "Off-site trip"
    assert entry.recorded_at > when


def test_a_transcribed_paper_form_keeps_its_original_author_and_time(
    world: World, school_a: School
) -> None:
    written = timezone.now() - dt.timedelta(days=3)
    concern = _record(
        world,
        school_a,
        author=person(world.person("a", Role.DSL), Role.DSL),
        source=Source.PAPER_FORM,
        occurred_at=written,
        backdate_reason="Network down",
        original_author_name="Saoirse Pendleby (lunchtime supervisor)",
        original_written_at=written,
    )
    entry = ChronologyEntry.objects.get(concern=concern)
    assert entry.source == Source.PAPER_FORM
    assert entry.details["written_by"].startswith("Saoirse Pendleby")
    assert entry.details["original_written_at"] == written.isoformat()
    assert entry.author_name == world.person("a", Role.DSL).full_name


def test_an_allegation_against_staff_goes_to_a_restricted_record_not_the_chronology(
    world: World, school_a: School
) -> None:
    concern = _record(
        world,
        school_a,
        category_ids=category_ids("allegation-staff"),
        adult_name="Mr Q. Tollemache",
        adult_role="Supply teacher",
    )
    allegation = Allegation.objects.get(concern=concern)
    assert allegation.lado_due_at > concern.recorded_at
    assert not ChronologyEntry.objects.filter(concern=concern).exists()
    alerted = set(Alert.objects.filter(concern=concern).values_list("user_id", flat=True))
    assert alerted == {world.person("a", Role.DSL).pk, world.person("a", Role.HEADTEACHER).pk}


def test_screening_sets_the_level_with_a_rationale_and_is_written_to_the_chronology(
    world: World, school_a: School
) -> None:
    concern = _record(world, school_a)
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    with pytest.raises(ValidationError):
        concern_screen(concern=concern, screener=dsl, level=Concern.Level.HIGH, rationale="")

    concern_screen(concern=concern, screener=dsl, level=Concern.Level.HIGH, rationale="Pattern")
    concern.refresh_from_db()
    assert concern.status == Concern.Status.SCREENED
    assert ChronologyEntry.objects.filter(concern=concern, kind="screening").count() == 1
    assert not Alert.objects.filter(concern=concern, read_at__isnull=True).exists()


def test_no_further_action_needs_a_rationale_and_actions_complete_with_an_outcome(
    world: World, school_a: School
) -> None:
    concern = _record(world, school_a)
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    with pytest.raises(ValidationError) as error:
        action_add(concern=concern, actor=dsl, kind=Action.Kind.NO_FURTHER_ACTION)
    assert "decision_rationale" in error.value.message_dict

    referral = action_add(
        concern=concern,
        actor=dsl,
        kind=Action.Kind.REFERRAL_SOCIAL_CARE,
        description="Referral to the front door team",
    )
    action_complete(action=referral, actor=dsl, outcome="Accepted for assessment")
    kinds = list(
        ChronologyEntry.objects.filter(concern=concern)
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds == ["concern", "action", "action_completed"]


def test_closing_a_case_needs_a_summary(world: World, school_a: School) -> None:
    concern = _record(world, school_a)
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    with pytest.raises(ValidationError):
        concern_status_set(concern=concern, actor=dsl, status=Concern.Status.CLOSED, summary="x")
    concern_screen(concern=concern, screener=dsl, level=Concern.Level.LOW, rationale="One-off")
    with pytest.raises(ValidationError):
        concern_status_set(concern=concern, actor=dsl, status=Concern.Status.CLOSED)
    concern_status_set(
        concern=concern, actor=dsl, status=Concern.Status.CLOSED, summary="Resolved with family"
    )
    concern.refresh_from_db()
    assert concern.status == Concern.Status.CLOSED


def test_a_phone_call_and_a_meeting_are_chronology_entries_with_their_details(
    world: World, school_a: School
) -> None:
    pupil = make_pupil("Tamsin", "Oyelaran")
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    met_at = timezone.now() - dt.timedelta(minutes=5)
    call = contact_record(
        pupil=pupil,
        author=dsl,
        kind=ChronologyEntry.Kind.PHONE_CALL,
        occurred_at=met_at,
        summary="Discussed attendance",
        agency="Children's social care",
        person="A. Duty worker",
    )
    meeting = contact_record(
        pupil=pupil,
        author=dsl,
        kind=ChronologyEntry.Kind.MEETING,
        occurred_at=met_at,
        summary="Strategy discussion",
        participants="DSL, social worker, class teacher",
    )
    assert call.details == {"agency": "Children's social care", "person": "A. Duty worker"}
    assert call.source == Source.PHONE_CALL
    assert meeting.details == {"participants": "DSL, social worker, class teacher"}


def test_unscreened_concerns_escalate_once_after_24_school_hours(
    world: World, school_a: School
) -> None:
    friday_noon = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(friday_noon, tick=False):
        concern = _record(world, school_a)
    # Saturday and Sunday do not count: at Monday 11:00 it is 23 school hours old.
    assert (
        concerns_escalate_overdue(school=school_a, now=friday_noon + dt.timedelta(days=2, hours=23))
        == []
    )
    monday_after = friday_noon + dt.timedelta(days=3, hours=1)
    assert concerns_escalate_overdue(school=school_a, now=monday_after) == [concern.pk]
    assert concerns_escalate_overdue(school=school_a, now=monday_after) == []
    escalated = set(
        Alert.objects.filter(concern=concern, reason=Alert.Reason.ESCALATED).values_list(
            "user_id", flat=True
        )
    )
    assert escalated == {
        world.person("a", Role.DEPUTY_DSL).pk,
        world.person("a", Role.HEADTEACHER).pk,
    }


def test_the_database_refuses_to_change_a_concerns_account_or_a_chronology_entry(
    as_owner: None, world: World, school_a: School
) -> None:
    concern = _record(world, school_a)
    with pytest.raises(DatabaseError, match="recorded content never changes"), transaction.atomic():
        Concern.objects.filter(pk=concern.pk).update(account="Something else")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ChronologyEntry.objects.filter(concern=concern).update(body="Something else")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM safeguarding_chronologyentry")


def test_alert_emails_say_only_that_something_needs_attention_and_go_once(
    world: World, school_a: School, mailoutbox: list
) -> None:
    concern = _record(world, school_a)
    assert concern_alert_emails_task.apply(args=[concern.pk]).get() == 2
    assert concern_alert_emails_task.apply(args=[concern.pk]).get() == 0

    assert {m.to[0] for m in mailoutbox} == {
        world.person("a", Role.DSL).email,
        world.person("a", Role.DEPUTY_DSL).email,
    }
    for message in mailoutbox:
        text = message.subject + message.body
        assert "Elowen" not in text and "Marchetti" not in text and "tea" not in text
        assert f"http://alder.localhost:8000/concerns/{concern.pk}/" in message.body


def test_editing_a_chronology_row_in_sql_is_found_by_verify_chronology(
    as_owner: None, world: World, school_a: School
) -> None:
    _record(world, school_a)
    tampered = _record(world, school_a)
    entry = ChronologyEntry.objects.get(concern=tampered)
    with connection.cursor() as cursor:
        # Deferred foreign-key checks run first, as at a commit, so the table can be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE safeguarding_chronologyentry DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE safeguarding_chronologyentry SET body = 'nothing happened' WHERE id = %s",
            [entry.pk],
        )
        cursor.execute("ALTER TABLE safeguarding_chronologyentry ENABLE TRIGGER USER")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_chronology", stdout=out)
    assert f"school_alder chronology: FIRST BROKEN LINK at row {entry.pk}" in out.getvalue()
    assert "school_birchwood chronology: 0 rows, intact" in out.getvalue()
