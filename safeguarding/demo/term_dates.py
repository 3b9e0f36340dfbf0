"""The school calendar of the demo's story: term days, typical holidays, times in London."""

from __future__ import annotations

import datetime as dt

from trustplatform.schooldays.calendar import LONDON, is_working_day
from trustplatform.schooldays.demo import typical_calendar
from trustplatform.schooldays.models import academic_year_of


def is_term_day(day: dt.date) -> bool:
    """A school day of the demo's schools, whose calendar is the typical one (seeded too)."""
    return typical_calendar(academic_year_of(day)).is_school_day(day)


def _add_term_days(day: dt.date, days: int) -> dt.date:
    while days > 0:
        day += dt.timedelta(days=1)
        if is_term_day(day):
            days -= 1
    return day


def _school_days_before(day: dt.date, days: int) -> dt.date:
    while days > 0:
        day -= dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def _at(day: dt.date, minutes: int) -> dt.datetime:
    """`minutes` after midnight on `day` in London, as an aware UTC time."""
    local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=LONDON)
    return local.astimezone(dt.UTC)


def _local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LONDON).date()
