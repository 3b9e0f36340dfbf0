"""The school calendar of the demo's story: term days, typical holidays, times in London."""

from __future__ import annotations

import datetime as dt

from safeguarding.schooltime import LONDON, is_school_day


def academic_year(day: dt.date) -> int:
    """The calendar year in which the school year holding `day` began (September)."""
    return day.year if day.month >= 9 else day.year - 1


def _monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _holidays(year: int) -> tuple[tuple[dt.date, dt.date], ...]:
    """Typical English school holidays of the school year starting in September `year`."""
    spring = year + 1
    autumn_half = _monday_on_or_after(dt.date(year, 10, 21))
    february_half = _monday_on_or_after(dt.date(spring, 2, 12))
    easter = _monday_on_or_after(dt.date(spring, 3, 30))
    may_half = _monday_on_or_after(dt.date(spring, 5, 25))
    return (
        (dt.date(year, 9, 1), dt.date(year, 9, 3)),
        (autumn_half, autumn_half + dt.timedelta(days=4)),
        (dt.date(year, 12, 20), dt.date(spring, 1, 4)),
        (february_half, february_half + dt.timedelta(days=4)),
        (easter, easter + dt.timedelta(days=11)),
        (may_half, may_half + dt.timedelta(days=4)),
        (dt.date(spring, 7, 22), dt.date(spring, 8, 31)),
    )


def is_term_day(day: dt.date) -> bool:
    return is_school_day(day) and not any(
        first <= day <= last for first, last in _holidays(academic_year(day))
    )


def _add_term_days(day: dt.date, days: int) -> dt.date:
    while days > 0:
        day += dt.timedelta(days=1)
        if is_term_day(day):
            days -= 1
    return day


def _school_days_before(day: dt.date, days: int) -> dt.date:
    while days > 0:
        day -= dt.timedelta(days=1)
        if is_school_day(day):
            days -= 1
    return day


def _at(day: dt.date, minutes: int) -> dt.datetime:
    """`minutes` after midnight on `day` in London, as an aware UTC time."""
    local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=LONDON)
    return local.astimezone(dt.UTC)


def _local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LONDON).date()
