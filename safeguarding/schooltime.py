"""School days and working days, for deadlines the policy counts in them (brief §5).

Weekends do not count. Bank holidays and a school's own closure days are not known yet; until
they are, deadlines are counted in weekdays, which errs on the side of alerting early.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def is_school_day(day: dt.date) -> bool:
    return day.weekday() < 5


def add_school_hours(start: dt.datetime, hours: float) -> dt.datetime:
    """`start` plus `hours` of school-day time: weekend hours are skipped."""
    remaining = dt.timedelta(hours=hours)
    moment = start.astimezone(LONDON)
    while remaining > dt.timedelta(0):
        if not is_school_day(moment.date()):
            moment = dt.datetime.combine(
                moment.date() + dt.timedelta(days=1), dt.time(0), tzinfo=LONDON
            )
            continue
        midnight = dt.datetime.combine(
            moment.date() + dt.timedelta(days=1), dt.time(0), tzinfo=LONDON
        )
        step = min(remaining, midnight - moment)
        moment += step
        remaining -= step
    return moment.astimezone(dt.UTC)


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same time of day, `days` weekdays later (a LADO referral: within 1 working day)."""
    moment = start.astimezone(LONDON)
    added = 0
    while added < days:
        moment += dt.timedelta(days=1)
        if is_school_day(moment.date()):
            added += 1
    return moment.astimezone(dt.UTC)
