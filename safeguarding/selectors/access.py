"""The school's access log, and the key holders' grants."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from safeguarding.models import AccessLogEntry, KeyHolderGrant


def _start_of_day(day: dt.date) -> dt.datetime:
    # Days are the school's days (the active time zone, Europe/London by default), not UTC's.
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def access_log_list(
    *,
    action: str | None = None,
    user_id: int | None = None,
    pupil_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AccessLogEntry]:
    """The school's access log, newest first; `since` and `until` are inclusive days.

    The caller decides who may read it (the DSL: docs/rules.md, "The access log").
    """
    entries = AccessLogEntry.objects.all()
    if action:
        entries = entries.filter(action=action)
    if user_id is not None:
        entries = entries.filter(user_id=user_id)
    if pupil_id is not None:
        entries = entries.filter(pupil_id=pupil_id)
    # Bounds on the column itself rather than a __date lookup, so the index on it is used.
    if since is not None:
        entries = entries.filter(occurred_at__gte=_start_of_day(since))
    if until is not None:
        entries = entries.filter(occurred_at__lt=_start_of_day(until + dt.timedelta(days=1)))
    return entries.order_by("-occurred_at", "-id")


def key_holder_grant_get(*, user_id: int) -> KeyHolderGrant | None:
    return KeyHolderGrant.objects.prefetch_related("categories").filter(user_id=user_id).first()
