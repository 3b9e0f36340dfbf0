"""Operation Encompass: a police notification becomes a restricted domestic-abuse concern, the DSL
and deputies are alerted at once, and it is due before the start of the next school day in the
school's own calendar. Expected deadlines are written out by hand, never computed by the code.

Autumn term 2026: 3 Sep to 18 Dec, half-term Mon 26 to Fri 30 Oct; clocks go back on Sun 25 Oct,
so London time is UTC from then. The school's day starts at 08:45 in these tests.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from safeguarding.models import Alert, ChronologyEntry, Concern
from safeguarding.services.access import key_holder_access_set
from safeguarding.services.concerns import (
    concern_record,
    concern_screen,
    concerns_escalate_overdue,
    encompass_due_at,
)
from safeguarding.services.encompass import encompass_notification_record
from safeguarding.tasks import concern_alert_emails_task
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, person
from tests.safeguarding.fixtures import enrol, make_upn
from trustplatform.accounts.models import Role
from trustplatform.schooldays.calendar import calendar_of
from trustplatform.schooldays.models import Term
from trustplatform.schooldays.services import TermDates, day_start_set, trust_terms_set
from trustplatform.statistics.selectors import trust_statistics
from trustplatform.statistics.services import school_statistics_refresh
from trustplatform.statistics.suppression import SUPPRESSED

LONDON = ZoneInfo("Europe/London")
AUTUMN_2026 = TermDates(
    Term.Name.AUTUMN,
    dt.date(2026, 9, 3),
    dt.date(2026, 12, 18),
    dt.date(2026, 10, 26),
    dt.date(2026, 10, 30),
)
FORCE = "Wessex Constabulary"


def autumn_2026_calendar(world: World, school: School, starts_at: dt.time) -> School:
    """The trust's autumn term 2026, and the school's day starting at `starts_at`."""
    trust_terms_set(
        actor=world.person("trust", Role.TRUST_ADMIN),
        trust=world.trust,
        academic_year=2026,
        terms=[AUTUMN_2026],
    )
    return day_start_set(actor=None, school=school, starts_at=starts_at)


@pytest.fixture
def calendar_set(world: World, school_a: School) -> School:
    return autumn_2026_calendar(world, school_a, dt.time(8, 45))


def _notify(world: World, school: School, *, serial: int, role: Role = Role.DSL, **extra: object):  # type: ignore[no-untyped-def]
    upn = make_upn(serial)
    enrol(first="Marisol", last="Quennell", year_group=5, serial=serial)
    fields: dict[str, object] = {
        "school": school,
        "author": person(world.person("a", role), role),
        "police_force": FORCE,
        "incident_reference": "WX/2026/44817",
        "incident_at": dt.datetime.now(dt.UTC) - dt.timedelta(hours=3),
        "notification": "Police attended a domestic incident at home; the child was present.",
        "upn": upn,
    } | extra
    return encompass_notification_record(**fields)  # type: ignore[arg-type]


def test_a_notification_on_the_friday_before_half_term_is_due_when_the_first_day_back_starts(
    world: World, calendar_set: School
) -> None:
    with schema_context(calendar_set.schema_name):
        with time_machine.travel(dt.datetime(2026, 10, 23, 17, 40, tzinfo=LONDON), tick=False):
            concern = _notify(world, calendar_set, serial=81900)
        # Monday 2 November, the first day back, at 08:45 (GMT by then).
        assert encompass_due_at(calendar_of(calendar_set), concern.recorded_at) == dt.datetime(
            2026, 11, 2, 8, 45, tzinfo=dt.UTC
        )
        # Not screened: escalated an hour before the deadline, not during half-term, and once.
        with time_machine.travel(dt.datetime(2026, 11, 2, 7, 44, tzinfo=dt.UTC), tick=False):
            assert concerns_escalate_overdue(school=calendar_set) == []
        with time_machine.travel(dt.datetime(2026, 11, 2, 7, 45, tzinfo=dt.UTC), tick=False):
            assert concerns_escalate_overdue(school=calendar_set) == [concern.pk]
            assert concerns_escalate_overdue(school=calendar_set) == []
        escalated = set(
            Alert.objects.filter(concern=concern, reason=Alert.Reason.ESCALATED).values_list(
                "user_id", flat=True
            )
        )
        assert escalated == {
            world.person("a", Role.DEPUTY_DSL).pk,
            world.person("a", Role.HEADTEACHER).pk,
        }


def test_a_notification_on_a_tuesday_evening_is_due_at_wednesdays_start_of_day(
    world: World, calendar_set: School
) -> None:
    with schema_context(calendar_set.schema_name):
        with time_machine.travel(dt.datetime(2026, 11, 17, 19, 30, tzinfo=LONDON), tick=False):
            concern = _notify(world, calendar_set, serial=81901)
        assert encompass_due_at(calendar_of(calendar_set), concern.recorded_at) == dt.datetime(
            2026, 11, 18, 8, 45, tzinfo=dt.UTC
        )
        # The DSL's dashboard shows Wednesday's start of day as its deadline.
        with time_machine.travel(dt.datetime(2026, 11, 17, 20, 0, tzinfo=dt.UTC), tick=False):
            dashboard = school_client(calendar_set, world.person("a", Role.DSL)).get("/").text
        assert "Screening due Wed 18 Nov 08:45" in dashboard
        # An ordinary concern would wait 24 school hours; this one is escalated on Wednesday
        # morning if nobody has screened it.
        with time_machine.travel(dt.datetime(2026, 11, 18, 7, 45, tzinfo=dt.UTC), tick=False):
            assert concerns_escalate_overdue(school=calendar_set) == [concern.pk]


def test_a_screened_notification_is_not_escalated(world: World, calendar_set: School) -> None:
    with schema_context(calendar_set.schema_name):
        with time_machine.travel(dt.datetime(2026, 11, 17, 19, 30, tzinfo=LONDON), tick=False):
            concern = _notify(world, calendar_set, serial=81902)
            concern_screen(
                concern=concern,
                screener=person(world.person("a", Role.DEPUTY_DSL), Role.DEPUTY_DSL),
                level=Concern.Level.MEDIUM,
                rationale="Spoke to the police; class teacher briefed for the morning.",
            )
        with time_machine.travel(dt.datetime(2026, 11, 18, 9, 0, tzinfo=dt.UTC), tick=False):
            assert concerns_escalate_overdue(school=calendar_set) == []


def test_the_notification_is_a_restricted_domestic_abuse_concern_naming_the_force(
    world: World, school_a: School, mailoutbox: list
) -> None:
    with schema_context(school_a.schema_name):
        concern = _notify(world, school_a, serial=81903)
        codes = set(concern.categories.values_list("code", flat=True))
        assert codes == {"domestic-abuse", "operation-encompass"}
        assert concern.categories.get(code="operation-encompass").sensitivity == "restricted"
        assert concern.author_id == world.person("a", Role.DSL).pk
        assert FORCE in concern.account and "WX/2026/44817" in concern.account
        [entry] = ChronologyEntry.objects.filter(concern=concern)
        assert FORCE in entry.body and entry.author_name == world.person("a", Role.DSL).full_name
        # Alerted at once: the deputy (the DSL received it); emails carry no name and no text.
        alerted = set(Alert.objects.filter(concern=concern).values_list("user_id", flat=True))
        assert alerted == {world.person("a", Role.DEPUTY_DSL).pk}
        assert concern_alert_emails_task.apply(args=[concern.pk]).get() == 1
    [message] = mailoutbox
    text = message.subject + message.body
    assert "Marisol" not in text and "Quennell" not in text and FORCE not in text


def test_a_deputy_receiving_it_alerts_the_dsl(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        concern = _notify(world, school_a, serial=81904, role=Role.DEPUTY_DSL)
        alerted = set(Alert.objects.filter(concern=concern).values_list("user_id", flat=True))
    assert alerted == {world.person("a", Role.DSL).pk}


def test_a_key_holder_granted_domestic_abuse_does_not_see_the_notification(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        concern = _notify(world, school_a, serial=81905)
        key_holder_access_set(
            school=school_a,
            key_holder=world.person("a", Role.KEY_HOLDER),
            category_ids=category_ids("domestic-abuse"),
            year_groups=[5],
            actor=world.person("a", Role.DSL),
        )
        pupil_id = concern.pupils.get().pk
    # A restricted category never counts in a grant (docs/rules.md, "Need to know").
    key_holder = school_client(school_a, world.person("a", Role.KEY_HOLDER))
    assert key_holder.get(f"/concerns/{concern.pk}/").status_code == 404
    assert FORCE not in key_holder.get(f"/pupils/{pupil_id}/chronology/").text
    head = school_client(school_a, world.person("a", Role.HEADTEACHER))
    assert FORCE in head.get(f"/concerns/{concern.pk}/").text


def test_a_notification_without_a_known_pupil_or_force_is_refused(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name), pytest.raises(ValidationError) as error:
        encompass_notification_record(
            school=school_a,
            author=person(world.person("a", Role.DSL), Role.DSL),
            police_force=" ",
            incident_reference="WX/1",
            incident_at=dt.datetime.now(dt.UTC),
            notification="Text",
            upn=make_upn(81999),
        )
    assert set(error.value.message_dict) == {"police_force", "upn"}


def test_the_dsl_types_one_in_from_a_phone_call(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        enrol(first="Marisol", last="Quennell", year_group=5, serial=81906)
    client = school_client(school_a, world.person("a", Role.DSL))
    page = client.get("/")
    assert "Record an Operation Encompass notification" in page.text
    incident = dt.datetime.now(LONDON) - dt.timedelta(hours=10)
    response = client.post(
        "/concerns/encompass/new/",
        {
            "police_force": FORCE,
            "incident_reference": "WX/2026/50001",
            "incident_at": incident.strftime("%Y-%m-%dT%H:%M"),
            "upn": make_upn(81906),
            "notification": "Officers attended overnight; the child was in the house.",
        },
    )
    assert response.status_code == 302
    concern_page = client.get(response["Location"]).text
    assert "WX/2026/50001" in concern_page and "Operation Encompass notification" in concern_page
    refused = client.post("/concerns/encompass/new/", {"police_force": FORCE})
    assert refused.status_code == 200 and "This field is required" in refused.text
    with schema_context(school_a.schema_name):
        assert Concern.objects.filter(categories__code="operation-encompass").count() == 1


def test_the_trust_lead_sees_encompass_notifications_as_a_suppressed_count(
    world: World, school_a: School
) -> None:
    def count() -> object:
        cache.clear()
        stats = trust_statistics(trust=world.trust, today=dt.datetime.now(LONDON).date())
        rows = stats.table("categories").rows  # type: ignore[union-attr]
        return {row[0]: row[1] for row in rows}.get("Operation Encompass notification")

    with schema_context(school_a.schema_name):
        for serial in range(81910, 81913):
            _notify(world, school_a, serial=serial)
        school_statistics_refresh(school=school_a)
    # Three is a count of 1 to 5: hidden like every other small count.
    assert count() == SUPPRESSED
    with schema_context(school_a.schema_name):
        for serial in range(81913, 81917):
            _notify(world, school_a, serial=serial)
        school_statistics_refresh(school=school_a)
    assert count() == 7


def test_staff_cannot_file_an_ordinary_concern_as_a_police_notification(
    world: World, school_a: School
) -> None:
    """The notification's category is not offered on the concern form, and the service refuses
    it there: a concern filed under it would be restricted and counted as a police notification."""
    with schema_context(school_a.schema_name):
        pupil = enrol(first="Marisol", last="Quennell", year_group=5, serial=81907)
        encompass = category_ids("operation-encompass")
        staff = world.person("a", Role.STAFF)
        with pytest.raises(ValidationError) as error:
            concern_record(
                school=school_a,
                author=person(staff, Role.STAFF),
                pupil_ids=[pupil.pk],
                category_ids=encompass,
                account="Said she was frightened at home last night.",
            )
        assert "its own page" in " ".join(error.value.message_dict["categories"])
        assert not Concern.objects.exists()
    form = school_client(school_a, staff).get("/concerns/new/").text
    assert "Domestic abuse" in form
    assert f'value="{encompass[0]}"' not in form
