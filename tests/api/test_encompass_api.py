"""Operation Encompass through the API: a police force's system sends the notification with an
encompass key; it becomes the same restricted concern as one typed in from a phone call, due at
the start of the school's next school day (docs/api.md, "Operation Encompass").

Autumn term 2026: 3 Sep to 18 Dec, half-term Mon 26 to Fri 30 Oct; London is on GMT (UTC) from
Sun 25 Oct. The school's day starts at 08:30. Expected times are written out by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tenants.utils import schema_context

from safeguarding.models import Alert, ApiKey, ChronologyEntry, Concern
from safeguarding.services.api_keys import api_key_revoke
from safeguarding.tasks import concerns_escalate_school_task
from tenants.models import School
from tests.api.helpers import key_client, make_key
from tests.conftest import World
from tests.safeguarding.fixtures import enrol, make_upn
from tests.safeguarding.test_encompass import autumn_2026_calendar
from trustplatform.accounts.models import Role, SchoolMembership
from trustplatform.outbox.models import OutboxMessage

LONDON = ZoneInfo("Europe/London")
URL = "/api/v1/encompass/notifications/"
FORCE = "Wessex Constabulary"


@pytest.fixture
def calendar_set(world: World, school_a: School) -> School:
    return autumn_2026_calendar(world, school_a, dt.time(8, 30))


def _pupil(school: School, serial: int) -> str:
    with schema_context(school.schema_name):
        enrol(first="Tamsin", last="Orrell", year_group=4, serial=serial)
    return make_upn(serial)


def _body(upn: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "police_force": FORCE,
        "incident_reference": "WX/2026/61220",
        "incident_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(),
        "notification": "Officers attended a domestic incident; the child was at home.",
        "upn": upn,
    } | (extra or {})


def _send(client: Client, body: dict[str, Any]) -> Any:
    return client.post(URL, body, content_type="application/json")


def _encompass_concerns(school: School) -> int:
    with schema_context(school.schema_name):
        return Concern.objects.filter(categories__code="operation-encompass").count()


def test_a_notification_at_nine_on_sunday_evening_is_dealt_with_before_monday_half_past_eight(
    world: World, calendar_set: School
) -> None:
    upn = _pupil(calendar_set, 82200)
    key = make_key(world, "encompass")
    with time_machine.travel(dt.datetime(2026, 11, 15, 21, 0, tzinfo=LONDON), tick=False):
        response = _send(key_client(calendar_set, key.token), _body(upn))
    assert response.status_code == 201, response.json()
    receipt = response.json()
    assert parse_datetime(receipt["due_at"]) == dt.datetime(2026, 11, 16, 8, 30, tzinfo=dt.UTC)
    assert receipt["author_name"] == world.person("a", Role.DSL).full_name
    with schema_context(calendar_set.schema_name):
        concern = Concern.objects.get(pk=receipt["id"])
        assert set(concern.categories.values_list("code", flat=True)) == {
            "domestic-abuse",
            "operation-encompass",
        }
        assert FORCE in concern.account
        # Where it came from, as the concern and the child's chronology say it.
        entry = ChronologyEntry.objects.get(concern=concern)
        assert {concern.get_source_display(), entry.get_source_display()} == {
            "Sent by the police force's system"
        }
        assert concern.author_id == world.person("a", Role.DSL).pk
        # The deputy was alerted at once, and the email waits in the outbox.
        alerted = set(Alert.objects.filter(concern=concern).values_list("user_id", flat=True))
        assert alerted == {world.person("a", Role.DEPUTY_DSL).pk}
        assert OutboxMessage.objects.filter(
            object_id__in=Alert.objects.filter(concern=concern).values("pk")
        ).exists()
        # Nobody screens it overnight: the sweep escalates it at 07:30 on Monday, not before.
        with time_machine.travel(dt.datetime(2026, 11, 16, 7, 29, tzinfo=dt.UTC), tick=False):
            assert concerns_escalate_school_task.apply().get() == 0
        with time_machine.travel(dt.datetime(2026, 11, 16, 7, 30, tzinfo=dt.UTC), tick=False):
            assert concerns_escalate_school_task.apply().get() == 1
            assert concerns_escalate_school_task.apply().get() == 0
        escalated = Alert.objects.filter(concern=concern, reason=Alert.Reason.ESCALATED)
        assert escalated.exists()
        assert all(
            a.created_at < dt.datetime(2026, 11, 16, 8, 30, tzinfo=dt.UTC) for a in escalated
        )


def test_a_notification_on_the_friday_before_half_term_is_due_on_the_first_day_back(
    world: World, calendar_set: School
) -> None:
    upn = _pupil(calendar_set, 82201)
    key = make_key(world, "encompass")
    with time_machine.travel(dt.datetime(2026, 10, 23, 17, 40, tzinfo=LONDON), tick=False):
        response = _send(key_client(calendar_set, key.token), _body(upn))
    assert response.status_code == 201, response.json()
    # Monday 2 November, the first day back, at 08:30 (GMT by then).
    due = parse_datetime(response.json()["due_at"])
    assert due == dt.datetime(2026, 11, 2, 8, 30, tzinfo=dt.UTC)
    with schema_context(calendar_set.schema_name):
        concern = Concern.objects.get(pk=response.json()["id"])
        assert concern.status == Concern.Status.NEW


def test_a_key_without_the_encompass_scope_is_refused(world: World, school_a: School) -> None:
    upn = _pupil(school_a, 82202)
    key = make_key(world, "write_concerns", "read_records", "read_pupils")
    response = _send(key_client(school_a, key.token), _body(upn))
    assert response.status_code == 403
    assert "encompass scope" in response.json()["error"]["message"]
    assert _encompass_concerns(school_a) == 0


def test_a_key_of_school_a_is_refused_on_school_b(world: World, school_a: School) -> None:
    _pupil(school_a, 82203)
    upn = _pupil(world.school_b, 82204)
    key = make_key(world, "encompass")
    response = _send(key_client(world.school_b, key.token), _body(upn))
    assert response.status_code == 401
    assert _encompass_concerns(world.school_b) == 0


def test_a_revoked_or_expired_key_is_refused(world: World, school_a: School) -> None:
    upn = _pupil(school_a, 82205)
    revoked = make_key(world, "encompass")
    expired = make_key(world, "encompass", expires_at=timezone.now() + dt.timedelta(hours=1))
    with schema_context(school_a.schema_name):
        api_key_revoke(
            school=school_a,
            actor=world.person("a", Role.DSL),
            role=Role.DSL,
            key_id=revoked.key.pk,
        )
        ApiKey.objects.filter(pk=expired.key.pk).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
    for token in (revoked.token, expired.token):
        response = _send(key_client(school_a, token), _body(upn))
        assert response.status_code == 401
        assert "revoked or has expired" in response.json()["error"]["message"]
    assert _encompass_concerns(school_a) == 0


def test_a_key_whose_holder_is_no_longer_the_key_adult_is_refused(
    world: World, school_a: School
) -> None:
    """The key acts with no more than its holder may do now: a key made by a DSL who has since
    become ordinary staff records nothing."""
    upn = _pupil(school_a, 82206)
    key = make_key(world, "encompass")
    SchoolMembership.objects.filter(user=world.person("a", Role.DSL), school=school_a).update(
        role=Role.STAFF
    )
    response = _send(key_client(school_a, key.token), _body(upn))
    assert response.status_code == 403
    assert _encompass_concerns(school_a) == 0


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"upn": make_upn(82399)}, "upn", "No pupil on roll here"),
        ({"upn": "", "pupil_id": 987654}, "pupil", ""),
        ({"police_force": "  "}, "police_force", "Name the police force"),
        ({"upn": ""}, "pupil", "Choose the pupil, or give their UPN"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_saved(
    world: World, school_a: School, change: dict[str, Any], field: str, words: str
) -> None:
    upn = _pupil(school_a, 82207)
    key = make_key(world, "encompass")
    response = _send(key_client(school_a, key.token), _body(upn, change))
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert words in " ".join(error["fields"][field])
    assert _encompass_concerns(school_a) == 0
    with schema_context(school_a.schema_name):
        assert not Alert.objects.exists()


def test_a_missing_force_is_named_before_anything_is_recorded(
    world: World, school_a: School
) -> None:
    upn = _pupil(school_a, 82208)
    key = make_key(world, "encompass")
    body = _body(upn)
    del body["police_force"]
    response = _send(key_client(school_a, key.token), body)
    assert response.status_code == 400
    assert "police_force" in response.json()["error"]["fields"]
    assert _encompass_concerns(school_a) == 0
