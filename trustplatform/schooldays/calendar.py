"""The one answer to "is this a school day here?", and every deadline counted in days or hours.

A school day is a weekday inside one of the school's terms, outside its half-term, that is not a
bank holiday of England and Wales nor one of the school's closure days. A working day is a
weekday that is not a bank holiday: the LADO, social care and the police work through school
holidays, so deadlines owed to them count working days (docs/architecture.md, "School days
and working days").

A school year for which the school has entered no term dates falls back to working days:
deadlines then come early in the holidays rather than late, and the DSL's pages say so.
Times are kept in UTC and reckoned in Europe/London.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from tenants.models import School
from trustplatform.schooldays.models import ClosureDay, Term, academic_year_of

LONDON = ZoneInfo("Europe/London")
DEFAULT_DAY_START = dt.time(8, 30)
# No deadline is counted further than this: a calendar that somehow has no school days at all
# (a mistyped year) must give an answer, not loop for ever.
MAX_DAYS_SEARCHED = 3 * 366


@cache
def _bank_holidays() -> holidays.HolidayBase:
    # England and Wales share their bank holidays; the package knows them offline, substitute
    # days included, and adds years as they are asked for.
    return holidays.country_holidays("GB", subdiv="ENG")


def is_bank_holiday(day: dt.date) -> bool:
    return day in _bank_holidays()


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=LONDON)


def _next_day(day: dt.date, counts: Callable[[dt.date], bool]) -> dt.date:
    """The first day after `day` that `counts`."""
    for _ in range(MAX_DAYS_SEARCHED):
        day += dt.timedelta(days=1)
        if counts(day):
            break
    return day


def _add_days(moment: dt.datetime, days: int, counts: Callable[[dt.date], bool]) -> dt.datetime:
    """The same wall-clock time in London, `days` counted days later."""
    local = moment.astimezone(LONDON)
    day = local.date()
    for _ in range(days):
        day = _next_day(day, counts)
    wall_clock = local.time()
    return dt.datetime.combine(day, wall_clock, tzinfo=LONDON).astimezone(dt.UTC)


@dataclass(frozen=True)
class SchoolCalendar:
    """A school's terms, closures and start of day, loaded once and asked many questions."""

    terms: tuple[Term, ...]
    closures: frozenset[dt.date]
    day_starts_at: dt.time = DEFAULT_DAY_START

    @property
    def years_with_term_dates(self) -> frozenset[int]:
        return frozenset(term.academic_year for term in self.terms)

    def has_term_dates(self, day: dt.date) -> bool:
        """Whether the school has entered term dates for the school year holding `day`."""
        return academic_year_of(day) in self.years_with_term_dates

    def term_on(self, day: dt.date) -> Term | None:
        return next((term for term in self.terms if term.holds(day)), None)

    def is_school_day(self, day: dt.date) -> bool:
        if not is_working_day(day) or day in self.closures:
            return False
        if not self.has_term_dates(day):
            return True
        term = self.term_on(day)
        return term is not None and not term.in_half_term(day)

    def next_school_day_start(self, moment: dt.datetime) -> dt.datetime:
        """The first start of a school day after `moment` (today's, if it has not come yet)."""
        local = moment.astimezone(LONDON)
        day = local.date()
        if self.is_school_day(day) and local.time() < self.day_starts_at:
            start_day = day
        else:
            start_day = _next_day(day, self.is_school_day)
        start = dt.datetime.combine(start_day, self.day_starts_at, tzinfo=LONDON)
        return start.astimezone(dt.UTC)

    def add_school_days(self, moment: dt.datetime, days: int) -> dt.datetime:
        """The same time of day, `days` school days later (a file sent within 5 school days)."""
        return _add_days(moment, days, self.is_school_day)

    def add_working_days(self, moment: dt.datetime, days: int) -> dt.datetime:
        """The same time of day, `days` working days later (a LADO referral: within 1)."""
        return _add_days(moment, days, is_working_day)

    def add_school_hours(self, moment: dt.datetime, hours: float) -> dt.datetime:
        """`moment` plus `hours` of school-day time: the hours of other days do not count."""
        remaining = dt.timedelta(hours=hours)
        local = moment.astimezone(LONDON)
        for _ in range(MAX_DAYS_SEARCHED):
            if remaining <= dt.timedelta(0):
                break
            next_midnight = _midnight(local.date() + dt.timedelta(days=1))
            if self.is_school_day(local.date()):
                # Wall-clock hours: a day of a clock change has 23 or 25 of them.
                step = min(remaining, next_midnight - local)
                local += step
                remaining -= step
            else:
                local = next_midnight
        return local.astimezone(dt.UTC)

    def current_term(self, today: dt.date) -> Term | None:
        """The term holding `today`, or in the holidays the last term to have begun."""
        begun = [term for term in self.terms if term.first_day <= today]
        return begun[-1] if begun else None

    def previous_term(self, today: dt.date) -> Term | None:
        current = self.current_term(today)
        if current is None:
            return None
        earlier = [term for term in self.terms if term.first_day < current.first_day]
        return earlier[-1] if earlier else None


def calendar_build(
    *,
    terms: Iterable[Term] = (),
    closures: Iterable[dt.date] = (),
    day_starts_at: dt.time = DEFAULT_DAY_START,
) -> SchoolCalendar:
    return SchoolCalendar(
        terms=tuple(sorted(terms, key=lambda term: term.first_day)),
        closures=frozenset(closures),
        day_starts_at=day_starts_at,
    )


def calendar_of(school: School) -> SchoolCalendar:
    """The calendar of one school, in two queries (its terms, its closure days)."""
    return calendar_build(
        terms=Term.objects.filter(school=school),
        closures=ClosureDay.objects.filter(school=school).values_list("day", flat=True),
        day_starts_at=school.day_starts_at,
    )
