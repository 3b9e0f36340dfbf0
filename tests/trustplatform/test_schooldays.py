"""The school calendar: term dates, closure days, bank holidays, and the deadlines counted in them.

The school year used throughout is 2026/27 with the terms below. Bank holidays of England and
Wales in it: Christmas Day (Fri 25 Dec), Boxing Day observed (Mon 28 Dec), New Year's Day
(Fri 1 Jan), Good Friday (26 Mar 2027), Easter Monday (29 Mar), the early May bank holiday
(3 May), the spring bank holiday (31 May) and the late August bank holiday (30 Aug 2027).
Expected deadlines are written out by hand from that calendar, never computed by the code.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from safeguarding.models import Alert, Allegation, Concern
from safeguarding.services.concerns import concern_record, concerns_escalate_overdue
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role
from trustplatform.audit.models import AuditAction, AuditEvent
from trustplatform.schooldays.calendar import SchoolCalendar, calendar_build, calendar_of
from trustplatform.schooldays.demo import seed_demo_calendar
from trustplatform.schooldays.models import ClosureDay, Term
from trustplatform.schooldays.services import (
    TermDates,
    closure_day_add,
    day_start_set,
    term_set,
    trust_terms_set,
)

LONDON = ZoneInfo("Europe/London")
YEAR = 2026
TERMS_2026 = [
    TermDates(
        Term.Name.AUTUMN,
        dt.date(2026, 9, 3),
        dt.date(2026, 12, 18),
        dt.date(2026, 10, 26),
        dt.date(2026, 10, 30),
    ),
    TermDates(
        Term.Name.SPRING,
        dt.date(2027, 1, 5),
        dt.date(2027, 3, 25),
        dt.date(2027, 2, 15),
        dt.date(2027, 2, 19),
    ),
    TermDates(
        Term.Name.SUMMER,
        dt.date(2027, 4, 12),
        dt.date(2027, 7, 21),
        dt.date(2027, 5, 31),
        dt.date(2027, 6, 4),
    ),
]


def london(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


def _calendar(closures: tuple[dt.date, ...] = ()) -> SchoolCalendar:
    return calendar_build(
        terms=[Term(academic_year=YEAR, **vars(dates)) for dates in TERMS_2026],
        closures=closures,
    )


# --- the calendar alone ------------------------------------------------------------------------

# (recorded at, 24 school hours later, 1 working day later): each written out by hand.
DEADLINES = [
    pytest.param(
        london(2026, 10, 23, 15, 0),
        london(2026, 11, 2, 15, 0),
        london(2026, 10, 26, 15, 0),
        id="friday-before-half-term: screening on the first day back, LADO on its Monday",
    ),
    pytest.param(
        london(2026, 12, 18, 15, 0),
        london(2027, 1, 5, 15, 0),
        london(2026, 12, 21, 15, 0),
        id="last day before Christmas: screening on the first day of spring term",
    ),
    pytest.param(
        london(2026, 12, 24, 15, 0),
        london(2027, 1, 6, 0, 0),
        london(2026, 12, 29, 15, 0),
        id="christmas eve: LADO after Christmas Day and Boxing Day observed",
    ),
    pytest.param(
        london(2027, 3, 25, 15, 0),
        london(2027, 4, 12, 15, 0),
        london(2027, 3, 30, 15, 0),
        id="before easter: LADO after Good Friday and Easter Monday",
    ),
    pytest.param(
        london(2027, 4, 30, 15, 0),
        london(2027, 5, 4, 15, 0),
        london(2027, 5, 4, 15, 0),
        id="early may bank holiday counts for neither",
    ),
    pytest.param(
        london(2027, 8, 27, 15, 0),
        london(2027, 9, 2, 0, 0),
        london(2027, 8, 31, 15, 0),
        id="late august bank holiday; 2027/28 has no term dates, so 1 September counts",
    ),
]


@pytest.mark.parametrize(("recorded", "screen_by", "lado_by"), DEADLINES)
def test_deadlines_skip_holidays_bank_holidays_and_half_terms(
    recorded: dt.datetime, screen_by: dt.datetime, lado_by: dt.datetime
) -> None:
    calendar = _calendar()
    assert calendar.add_school_hours(recorded, 24) == screen_by
    assert calendar.add_working_days(recorded, 1) == lado_by


def test_a_closure_day_does_not_count_as_a_school_day() -> None:
    inset_friday = dt.date(2026, 11, 13)
    calendar = _calendar(closures=(inset_friday,))
    assert not calendar.is_school_day(inset_friday)
    recorded = london(2026, 11, 12, 15, 0)
    assert calendar.add_school_hours(recorded, 24) == london(2026, 11, 16, 15, 0)
    # Agencies work on a school's closure day.
    assert calendar.add_working_days(recorded, 1) == london(2026, 11, 13, 15, 0)


def test_school_days_and_the_next_school_days_start() -> None:
    calendar = _calendar()
    assert calendar.is_school_day(dt.date(2026, 10, 23))
    assert not calendar.is_school_day(dt.date(2026, 10, 27))  # half-term
    assert not calendar.is_school_day(dt.date(2026, 12, 21))  # Christmas
    assert not calendar.is_school_day(dt.date(2026, 9, 2))  # before term
    start = calendar.next_school_day_start
    # Early on a school day: that day's start. After it: the next school day's.
    assert start(london(2026, 10, 22, 7, 0)) == london(2026, 10, 22, 8, 30)
    assert start(london(2026, 10, 22, 9, 0)) == london(2026, 10, 23, 8, 30)
    # A notification on the evening before half-term is due when pupils are back.
    assert start(london(2026, 10, 23, 19, 0)) == london(2026, 11, 2, 8, 30)
    assert start(london(2027, 3, 25, 22, 0)) == london(2027, 4, 12, 8, 30)


def test_adding_school_days_skips_half_term() -> None:
    calendar = _calendar()
    # Five school days from Wednesday 21 October: Thu, Fri, then Mon-Wed after half-term.
    assert calendar.add_school_days(london(2026, 10, 21, 11, 0), 5) == london(2026, 11, 4, 11, 0)


def test_the_current_and_previous_term() -> None:
    calendar = _calendar()

    def current(day: dt.date) -> str | None:
        term = calendar.current_term(day)
        return term.name if term else None

    def previous(day: dt.date) -> str | None:
        term = calendar.previous_term(day)
        return term.name if term else None

    assert current(dt.date(2026, 10, 28)) == Term.Name.AUTUMN  # in half-term
    assert previous(dt.date(2026, 10, 28)) is None
    assert current(dt.date(2026, 12, 30)) == Term.Name.AUTUMN  # Christmas holiday
    assert current(dt.date(2027, 5, 10)) == Term.Name.SUMMER
    assert previous(dt.date(2027, 5, 10)) == Term.Name.SPRING
    assert current(dt.date(2026, 8, 1)) is None


def test_without_term_dates_deadlines_count_weekdays_other_than_bank_holidays() -> None:
    calendar = calendar_build()
    assert not calendar.has_term_dates(dt.date(2026, 10, 27))
    assert calendar.is_school_day(dt.date(2026, 10, 27))  # no half-term known
    assert not calendar.is_school_day(dt.date(2026, 12, 28))  # Boxing Day observed
    assert calendar.add_school_hours(london(2026, 10, 23, 15, 0), 24) == london(2026, 10, 26, 15, 0)


# --- deadlines in use, per school --------------------------------------------------------------


def _give_terms(world: World) -> None:
    trust_terms_set(
        actor=world.person("trust", Role.TRUST_ADMIN),
        trust=world.trust,
        academic_year=YEAR,
        terms=TERMS_2026,
    )


def _record(world: World, school: School, place: str, **extra: object) -> Concern:
    fields: dict[str, object] = {
        "school": school,
        "author": person(world.person(place, Role.STAFF), Role.STAFF),
        "pupil_ids": [make_pupil("Tamsin", "Oyelaran").pk],
        "category_ids": category_ids("neglect"),
        "account": "She said she had not eaten since yesterday.",
    } | extra
    return concern_record(**fields)  # type: ignore[arg-type]


def test_an_unscreened_concern_escalates_on_the_first_day_back_after_half_term(
    world: World, school_a: School
) -> None:
    _give_terms(world)
    with schema_context(school_a.schema_name):
        with time_machine.travel(london(2026, 10, 23, 15, 0), tick=False):
            concern = _record(world, school_a, "a")
        assert concerns_escalate_overdue(school=school_a, now=london(2026, 11, 2, 14, 59)) == []
        assert concerns_escalate_overdue(school=school_a, now=london(2026, 11, 2, 15, 0)) == [
            concern.pk
        ]
        assert Alert.objects.filter(concern=concern, reason=Alert.Reason.ESCALATED).exists()


def test_an_allegations_lado_deadline_is_one_working_day_even_in_half_term(
    world: World, school_a: School
) -> None:
    _give_terms(world)
    with schema_context(school_a.schema_name):
        with time_machine.travel(london(2026, 10, 23, 15, 0), tick=False):
            concern = _record(
                world,
                school_a,
                "a",
                category_ids=category_ids("allegation-staff"),
                adult_name="Mr Invented Adult",
                adult_role="Teaching assistant",
            )
        allegation = Allegation.objects.get(concern=concern)
        assert allegation.lado_due_at == london(2026, 10, 26, 15, 0)


def test_changing_a_schools_term_dates_moves_its_open_deadlines_and_no_other_schools(
    world: World, school_a: School, school_b: School
) -> None:
    _give_terms(world)
    concerns = {}
    for school, place in ((school_a, "a"), (school_b, "b")):
        with (
            schema_context(school.schema_name),
            time_machine.travel(london(2026, 10, 23, 15, 0), tick=False),
        ):
            concerns[place] = _record(world, school, place)
    # School A moves its autumn half-term a week later: the week of 26 October is term time.
    term_set(
        actor=world.person("a", Role.DSL),
        school=school_a,
        academic_year=YEAR,
        dates=TermDates(
            Term.Name.AUTUMN,
            dt.date(2026, 9, 3),
            dt.date(2026, 12, 18),
            dt.date(2026, 11, 2),
            dt.date(2026, 11, 6),
        ),
    )
    monday_afternoon = london(2026, 10, 26, 15, 30)
    with schema_context(school_a.schema_name):
        assert concerns_escalate_overdue(school=school_a, now=monday_afternoon) == [
            concerns["a"].pk
        ]
    with schema_context(school_b.schema_name):
        assert concerns_escalate_overdue(school=school_b, now=monday_afternoon) == []
    assert calendar_of(school_b).is_school_day(dt.date(2026, 11, 2))
    assert not calendar_of(school_a).is_school_day(dt.date(2026, 11, 2))


# --- writing the calendar ----------------------------------------------------------------------


def test_the_trust_admin_sets_every_schools_terms_and_each_school_can_then_differ(
    world: World, db: None
) -> None:
    _give_terms(world)
    for school in (world.school_a, world.school_b):
        assert Term.objects.filter(school=school, academic_year=YEAR).count() == 3
    assert not Term.objects.filter(school=world.school_c).exists()  # another trust's school
    closure_day_add(
        actor=world.person("b", Role.SCHOOL_ADMIN),
        school=world.school_b,
        day=dt.date(2026, 11, 13),
        reason="INSET day",
    )
    assert not calendar_of(world.school_b).is_school_day(dt.date(2026, 11, 13))
    assert calendar_of(world.school_a).is_school_day(dt.date(2026, 11, 13))
    audited = AuditEvent.objects.filter(action=AuditAction.TERM_DATES_CHANGED).latest("pk")
    assert audited.trust_id == world.trust.pk
    assert audited.data["schools"] == 2


BAD_TERMS = [
    pytest.param(
        TermDates(Term.Name.AUTUMN, dt.date(2027, 9, 3), dt.date(2027, 12, 18)),
        "within the school year 2026/27",
        id="another school year",
    ),
    pytest.param(
        TermDates(Term.Name.AUTUMN, dt.date(2026, 12, 18), dt.date(2026, 9, 3)),
        "before its first day",
        id="back to front",
    ),
    pytest.param(
        TermDates(
            Term.Name.AUTUMN,
            dt.date(2026, 9, 3),
            dt.date(2026, 12, 18),
            dt.date(2026, 12, 21),
            dt.date(2026, 12, 23),
        ),
        "inside the term",
        id="half-term outside the term",
    ),
    pytest.param(
        TermDates(
            Term.Name.AUTUMN, dt.date(2026, 9, 3), dt.date(2026, 12, 18), dt.date(2026, 10, 26)
        ),
        "both the first and the last day",
        id="half-term without an end",
    ),
    pytest.param(
        TermDates(Term.Name.SPRING, dt.date(2026, 12, 1), dt.date(2027, 3, 25)),
        "overlaps",
        id="overlapping the autumn term",
    ),
]


@pytest.mark.parametrize(("dates", "message"), BAD_TERMS)
def test_impossible_term_dates_are_refused_with_a_reason_and_nothing_changes(
    world: World, db: None, dates: TermDates, message: str
) -> None:
    dsl = world.person("a", Role.DSL)
    term_set(actor=dsl, school=world.school_a, academic_year=YEAR, dates=TERMS_2026[0])
    before = list(Term.objects.filter(school=world.school_a).values())
    with pytest.raises(ValidationError, match=message):
        term_set(actor=dsl, school=world.school_a, academic_year=YEAR, dates=dates)
    assert list(Term.objects.filter(school=world.school_a).values()) == before


def test_a_closure_day_once_with_a_reason_and_a_sensible_start_of_day(
    world: World, db: None
) -> None:
    admin = world.person("a", Role.SCHOOL_ADMIN)
    with pytest.raises(ValidationError, match="Say why"):
        closure_day_add(actor=admin, school=world.school_a, day=dt.date(2026, 11, 13), reason=" ")
    closure_day_add(actor=admin, school=world.school_a, day=dt.date(2026, 11, 13), reason="Snow")
    with pytest.raises(ValidationError, match="already a closure day"):
        closure_day_add(actor=admin, school=world.school_a, day=dt.date(2026, 11, 13), reason="X")
    assert ClosureDay.objects.filter(school=world.school_a).count() == 1
    with pytest.raises(ValidationError, match="between 06:00 and 11:00"):
        day_start_set(actor=admin, school=world.school_a, starts_at=dt.time(20, 30))
    day_start_set(actor=admin, school=world.school_a, starts_at=dt.time(8, 45))
    school = School.objects.get(pk=world.school_a.pk)
    assert calendar_of(school).next_school_day_start(london(2026, 10, 22, 7, 0)) == london(
        2026, 10, 22, 8, 45
    )


def test_the_demo_gives_each_school_three_school_years_once(world: World, db: None) -> None:
    seed_demo_calendar(school=world.school_a, academic_years=range(2025, 2028))
    seed_demo_calendar(school=world.school_a, academic_years=range(2025, 2028))
    terms = Term.objects.filter(school=world.school_a)
    assert sorted(set(terms.values_list("academic_year", flat=True))) == [2025, 2026, 2027]
    assert terms.count() == 9
    assert all(term.half_term_first_day for term in terms)
    calendar = calendar_of(world.school_a)
    assert not calendar.is_school_day(dt.date(2026, 9, 1))  # an INSET day
    assert calendar.is_school_day(dt.date(2026, 9, 7))


# --- pages -------------------------------------------------------------------------------------


def test_the_dsl_sets_a_term_on_the_calendar_page(world: World, db: None) -> None:
    client = school_client(world.school_a, world.person("a", Role.DSL))
    page = client.get("/calendar/")
    assert "No term dates are set" in page.content.decode()
    response = client.post(
        "/calendar/terms/new/",
        {
            "academic_year": str(YEAR),
            "name": "autumn",
            "first_day": "2026-09-03",
            "last_day": "2026-12-18",
            "half_term_first_day": "2026-10-26",
            "half_term_last_day": "2026-10-30",
        },
    )
    assert response.status_code == 302
    shown = client.get("/calendar/").content.decode()
    assert "Mon 26 October to Fri 30 October 2026" in shown


def test_a_wrong_term_on_the_page_shows_why_and_saves_nothing(world: World, db: None) -> None:
    client = school_client(world.school_a, world.person("a", Role.DSL))
    response = client.post(
        "/calendar/terms/new/",
        {
            "academic_year": str(YEAR),
            "name": "autumn",
            "first_day": "2026-12-18",
            "last_day": "2026-09-03",
        },
    )
    assert response.status_code == 200
    assert "The last day of term comes before its first day." in response.content.decode()
    assert not Term.objects.filter(school=world.school_a).exists()
    response = client.post("/calendar/terms/new/", {"academic_year": "99999999999999999999"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_the_dsl_is_told_while_deadlines_ignore_school_holidays(world: World, db: None) -> None:
    client = school_client(world.school_a, world.person("a", Role.DSL))
    with time_machine.travel(london(2026, 10, 1, 9, 0), tick=False):
        assert "No term dates are set for 2026/27" in client.get("/").content.decode()
        _give_terms(world)
        assert "No term dates are set" not in client.get("/").content.decode()


def test_the_trust_admin_sets_terms_for_every_school_from_the_portal(
    world: World, db: None
) -> None:
    client = school_client(None, world.person("trust", Role.TRUST_ADMIN))
    data = {"academic_year": str(YEAR)}
    for dates in TERMS_2026:
        data |= {
            f"{dates.name}_first_day": dates.first_day.isoformat(),
            f"{dates.name}_last_day": dates.last_day.isoformat(),
            f"{dates.name}_half_term_first_day": str(dates.half_term_first_day),
            f"{dates.name}_half_term_last_day": str(dates.half_term_last_day),
        }
    with time_machine.travel(london(2026, 10, 1, 9, 0), tick=False):
        # The form starts at this school year, not the earliest it offers.
        assert (
            '<option value="2026" selected>' in client.get("/portal/term-dates/").content.decode()
        )
        response = client.post("/portal/term-dates/", data, follow=True)
    assert "set for 2 schools" in response.content.decode()
    assert Term.objects.filter(school__trust=world.trust, academic_year=YEAR).count() == 6
