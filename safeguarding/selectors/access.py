"""The school's access log, and the key holders' grants."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from safeguarding.models import AccessAction, AccessLogEntry, KeyHolderGrant, Pupil
from safeguarding.selectors.pupils import pupil_names_match
from trustplatform.accounts.models import SchoolMembership, User

# Views of the same record by the same person, each within this long of the one before, show as
# one row of the log: a page reloaded or gone back to is one visit, not a dozen lines. Every view
# stays stored; only the display groups them (docs/rules.md, "The access log").
VISIT_GAP = dt.timedelta(minutes=15)
# A name typed to filter the log matches at most this many pupils.
PUPIL_MATCHES_LIMIT = 50


def _start_of_day(day: dt.date) -> dt.datetime:
    # Days are the school's days (the active time zone, Europe/London by default), not UTC's.
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def access_log_list(
    *,
    action: str | None = None,
    user_id: int | None = None,
    pupil_id: int | None = None,
    pupil_ids: Sequence[int] | None = None,
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
    if pupil_ids is not None:
        entries = entries.filter(pupil_id__in=list(pupil_ids))
    # Bounds on the column itself rather than a __date lookup, so the index on it is used.
    if since is not None:
        entries = entries.filter(occurred_at__gte=_start_of_day(since))
    if until is not None:
        entries = entries.filter(occurred_at__lt=_start_of_day(until + dt.timedelta(days=1)))
    return entries.order_by("-occurred_at", "-id")


def key_holder_grant_get(*, user_id: int) -> KeyHolderGrant | None:
    return KeyHolderGrant.objects.prefetch_related("categories").filter(user_id=user_id).first()


@dataclass(frozen=True)
class AccessVisit:
    """One row of the log as shown: one entry, or consecutive views of one record by one person."""

    first_at: dt.datetime
    last_at: dt.datetime
    count: int
    user_id: int
    user_name: str
    user_role: str
    action: str
    object_type: str
    object_id: str
    pupil_id: int | None
    pupil_name: str = ""

    @property
    def action_label(self) -> str:
        return AccessAction(self.action).label if self.action in AccessAction.values else ""


# Gaps and islands: within each person's entries for one record, a view more than VISIT_GAP after
# the one before (or anything other than a view) starts a new visit; the running sum of those
# starts numbers the visits, and each visit is one row.
_VISITS_SQL = """
WITH entries AS ({entries}),
marked AS (
    SELECT e.*,
        CASE WHEN e.action = %s
              AND e.occurred_at - LAG(e.occurred_at) OVER record <= %s
             THEN 0 ELSE 1 END AS starts
    FROM entries e
    WINDOW record AS (
        PARTITION BY e.user_id, e.action, e.object_type, e.object_id, e.pupil_id
        ORDER BY e.occurred_at, e.id
    )
),
numbered AS (
    SELECT m.*, SUM(m.starts) OVER (
        PARTITION BY m.user_id, m.action, m.object_type, m.object_id, m.pupil_id
        ORDER BY m.occurred_at, m.id
    ) AS visit
    FROM marked m
)
SELECT MIN(occurred_at), MAX(occurred_at), COUNT(*), user_id,
    (ARRAY_AGG(user_name ORDER BY occurred_at DESC, id DESC))[1],
    (ARRAY_AGG(user_role ORDER BY occurred_at DESC, id DESC))[1],
    action, object_type, object_id, pupil_id
FROM numbered
GROUP BY user_id, action, object_type, object_id, pupil_id, visit
"""


class AccessVisits:
    """The visits of a filtered access log, newest first, counted and sliced in SQL: what a
    `Paginator` needs, so a page costs two queries (and one for its pupils' names) however long
    the log is."""

    def __init__(self, entries: QuerySet[AccessLogEntry]) -> None:
        columns = entries.order_by().values(
            "id",
            "occurred_at",
            "user_id",
            "user_name",
            "user_role",
            "action",
            "object_type",
            "object_id",
            "pupil_id",
        )
        sql, params = columns.query.sql_with_params()
        self._sql = _VISITS_SQL.format(entries=sql)
        self._params = (*params, AccessAction.VIEWED_RECORD.value, VISIT_GAP)

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({self._sql}) visits", self._params)  # noqa: S608 - built from the ORM's own SQL and constants
            return int(cursor.fetchone()[0])

    @overload
    def __getitem__(self, index: int) -> AccessVisit: ...
    @overload
    def __getitem__(self, index: slice) -> list[AccessVisit]: ...
    def __getitem__(self, index: int | slice) -> AccessVisit | list[AccessVisit]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop
        limit = "" if stop is None else f" LIMIT {int(stop) - int(start)}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"{self._sql} ORDER BY 2 DESC, 1 DESC, 4{limit} OFFSET {int(start)}",
                self._params,
            )
            visits = [AccessVisit(*row) for row in cursor.fetchall()]
        return _with_pupil_names(visits)


def _with_pupil_names(visits: list[AccessVisit]) -> list[AccessVisit]:
    pupils = Pupil.objects.filter(pk__in={v.pupil_id for v in visits if v.pupil_id}).only(
        "legal_first_name", "legal_last_name", "preferred_first_name", "preferred_last_name"
    )
    names = {p.pk: p.display_name for p in pupils}
    return [
        AccessVisit(**{**v.__dict__, "pupil_name": names.get(v.pupil_id or 0, "")}) for v in visits
    ]


def access_log_visits(
    *,
    action: str | None = None,
    user_id: int | None = None,
    pupil_ids: Sequence[int] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> AccessVisits:
    """The filtered access log as shown to the DSL: consecutive views of one record by one
    person within `VISIT_GAP` of each other as one row with their count and time span."""
    return AccessVisits(
        access_log_list(
            action=action, user_id=user_id, pupil_ids=pupil_ids, since=since, until=until
        )
    )


def access_log_pupils_named(query: str) -> list[Pupil]:
    """Pupils of this school, on roll or not, matching every word of `query`: the pupils a name
    typed to filter the access log stands for."""
    return list(
        Pupil.objects.filter(pupil_names_match(query))
        .only("legal_first_name", "legal_last_name", "preferred_first_name", "preferred_last_name")
        .order_by("legal_last_name", "legal_first_name", "pk")[:PUPIL_MATCHES_LIMIT]
    )


def access_log_pupils(pupil_ids: Sequence[int]) -> list[Pupil]:
    return list(Pupil.objects.filter(pk__in=list(pupil_ids)).order_by("legal_last_name", "pk"))


def school_staff(school_id: int) -> list[User]:
    """The school's people by name: whom the DSL may filter the access log by."""
    return list(
        User.objects.filter(
            pk__in=SchoolMembership.objects.filter(school_id=school_id).values("user_id")
        )
        .only("pk", "full_name")
        .order_by("full_name", "pk")
    )
