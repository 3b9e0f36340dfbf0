"""Invented but realistic term dates for the demo: the shape of an English school year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache

from dateutil.easter import easter

from tenants.models import School
from trustplatform.schooldays.calendar import SchoolCalendar, calendar_build
from trustplatform.schooldays.models import ClosureDay, Term
from trustplatform.schooldays.services import TermDates, closure_day_add, term_set

INSET = "INSET day"


def monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _weekday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=max(day.weekday() - 4, 0))


def _weekday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7 if day.weekday() > 4 else 0)


def _week_from(monday: dt.date) -> tuple[dt.date, dt.date]:
    return monday, monday + dt.timedelta(days=4)


def typical_terms(academic_year: int) -> list[TermDates]:
    """Three terms with a week's half-term each; Christmas, Easter and summer between them.

    Each term begins and ends on a weekday, as real term dates do.
    """
    spring = academic_year + 1
    # Two weeks around Easter: from the Monday of Holy Week to the Friday after Easter Monday.
    easter_holiday = easter(spring) - dt.timedelta(days=6)
    autumn_half = _week_from(monday_on_or_after(dt.date(academic_year, 10, 21)))
    february_half = _week_from(monday_on_or_after(dt.date(spring, 2, 12)))
    may_half = _week_from(monday_on_or_after(dt.date(spring, 5, 25)))
    return [
        TermDates(
            Term.Name.AUTUMN,
            _weekday_on_or_after(dt.date(academic_year, 9, 1)),
            _weekday_on_or_before(dt.date(academic_year, 12, 19)),
            *autumn_half,
        ),
        TermDates(
            Term.Name.SPRING,
            _weekday_on_or_after(dt.date(spring, 1, 5)),
            easter_holiday - dt.timedelta(days=3),
            *february_half,
        ),
        TermDates(
            Term.Name.SUMMER,
            easter_holiday + dt.timedelta(days=14),
            _weekday_on_or_before(dt.date(spring, 7, 21)),
            *may_half,
        ),
    ]


def typical_closures(academic_year: int) -> list[dt.date]:
    """Training days for staff at the start of September: the weekdays of 1 to 3 September."""
    days = (dt.date(academic_year, 9, day) for day in (1, 2, 3))
    return [day for day in days if day.weekday() < 5]


@cache
def typical_calendar(academic_year: int) -> SchoolCalendar:
    """The typical calendar around one school year (the one before and after included)."""
    years = range(academic_year - 1, academic_year + 2)
    return calendar_build(
        terms=[
            Term(academic_year=year, **vars(dates))
            for year in years
            for dates in typical_terms(year)
        ],
        closures=[day for year in years for day in typical_closures(year)],
    )


def seed_demo_calendar(*, school: School, academic_years: Iterable[int]) -> None:
    """Gives a school the typical terms and INSET days of each year it has no terms for yet."""
    for year in academic_years:
        if Term.objects.filter(school=school, academic_year=year).exists():
            continue
        for dates in typical_terms(year):
            term_set(actor=None, school=school, academic_year=year, dates=dates)
        for day in typical_closures(year):
            if not ClosureDay.objects.filter(school=school, day=day).exists():
                closure_day_add(actor=None, school=school, day=day, reason=INSET)
