"""Writes of the trust statistics: one school's counts, computed in its schema, into the rollup.

The aggregate queries run inside the school's schema and return counts only; the rows written to the
public schema carry no identity (docs/rules.md, "Child data stays in its school"). A refresh
replaces all of one school's rows in one transaction, so the incremental refresh after a commit and
the nightly rebuild run the very same code and cannot disagree
(tests/trustplatform/test_statistics.py checks it). The same transaction then rewrites the trust's
aggregate rows from its schools' rows, so the trust dashboard reads a fixed number of rows whatever
the number of schools.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, DateField, Exists, F, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import (
    Action,
    AllegationVersion,
    ChronologyEntry,
    Concern,
    Pupil,
    moved_with_the_file,
)
from tenants.models import School, Trust
from trustplatform.celery import task_send
from trustplatform.outbox.selectors import outbox_undelivered
from trustplatform.statistics.expressions import NEED_FIELDS, SCHOOLS_RANKED, need_ranking, small
from trustplatform.statistics.models import (
    CategoryRollup,
    ConcernRollup,
    SchoolMonthRollup,
    SchoolSnapshot,
    TrustCategoryRollup,
    TrustConcernRollup,
    TrustMonthRollup,
    TrustSnapshot,
)
from trustplatform.statistics.monthly import hidden_cells_per_school

LONDON = ZoneInfo("Europe/London")
# "Concerns not screened within 24 hours" (a dashboard figure): clock hours, not the school hours
# the escalation alerts count, so the figure compares across schools with different calendars.
SCREENING_WINDOW = dt.timedelta(hours=24)
# Commits within this many seconds of each other share one refresh of the school's figures.
REFRESH_DEBOUNCE_SECONDS = 30
SNAPSHOT_FIELDS = ("open_cases", "overdue_actions", "unscreened_over_24h")
# A pending marker outlives a lost task by this much at most; the nightly rebuild repairs the rest.
_PENDING_TIMEOUT_SECONDS = 10 * 60

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConcernCounts:
    month: dt.date
    year_group: int
    concerns: int
    screened_late: int
    referrals_social_care: int
    referrals_police: int
    referrals_early_help: int
    lado_referrals: int


@dataclass(frozen=True)
class CategoryCounts:
    month: dt.date
    category_code: str
    year_group: int
    concerns: int


@dataclass(frozen=True)
class SchoolFigures:
    """Counts of one school; nothing here identifies a child."""

    pupils_on_roll: int
    open_cases: int
    overdue_actions: int
    unscreened_over_24h: int
    alerts_undelivered: int
    next_change_at: dt.datetime | None
    concerns: list[ConcernCounts]
    categories: list[CategoryCounts]


def _referred(kind: Action.Kind) -> Exists:
    return Exists(Action.objects.filter(concern_id=OuterRef("concern_id"), kind=kind))


def _transferred_in() -> Exists:
    """A concern that arrived with a child's file from another school of the trust.

    Counted once, in the school where it was raised (docs/rules.md, "Trust statistics"): the
    copy's chronology entries carry their origin (`transferred_from`), the transfer's marker.
    """
    return Exists(
        ChronologyEntry.objects.filter(
            concern_id=OuterRef("concern_id"), details__has_key="transferred_from"
        )
    )


def school_figures_compute(*, now: dt.datetime) -> SchoolFigures:
    """The current school's counts, by aggregate queries in its schema (call inside it)."""
    today = timezone.localdate(now, LONDON)
    # One row per child in a concern (the M2M's own table). Typed loosely: the stubs cannot see
    # fields added by annotate() on an auto-created through model.
    pairs: QuerySet[Any] = Concern.pupils.through.objects.filter(
        concern__superseded_by__isnull=True
    ).exclude(_transferred_in())
    month = TruncMonth("concern__occurred_at", output_field=DateField(), tzinfo=LONDON)
    late = Q(
        concern__screened_at__isnull=True, concern__recorded_at__lte=now - SCREENING_WINDOW
    ) | Q(concern__screened_at__gt=F("concern__recorded_at") + SCREENING_WINDOW)
    lado = Exists(
        AllegationVersion.objects.filter(
            allegation__concern_id=OuterRef("concern_id"), lado_referred_at__isnull=False
        )
    )
    concern_rows = (
        pairs.annotate(month=month, year_group=F("pupil__year_group"))
        .values("month", "year_group")
        .annotate(
            concerns=Count("id"),
            screened_late=Count("id", filter=late),
            referrals_social_care=Count("id", filter=_referred(Action.Kind.REFERRAL_SOCIAL_CARE)),
            referrals_police=Count("id", filter=_referred(Action.Kind.REFERRAL_POLICE)),
            referrals_early_help=Count("id", filter=_referred(Action.Kind.REFERRAL_EARLY_HELP)),
            lado_referrals=Count("id", filter=lado),
        )
        .order_by()
    )
    category_rows = (
        pairs.annotate(
            month=month, year_group=F("pupil__year_group"), code=F("concern__categories__code")
        )
        .filter(code__isnull=False)
        .values("month", "code", "year_group")
        .annotate(concerns=Count("id"))
        .order_by()
    )
    # Work to do here: a concern that moved with a child's file is counted where it went.
    current = Concern.objects.filter(superseded_by__isnull=True).exclude(moved_with_the_file())
    actions_open = Action.objects.filter(completed_at__isnull=True).exclude(
        moved_with_the_file("concern_id")
    )
    waiting = current.filter(screened_at__isnull=True).exclude(status=Concern.Status.CLOSED)
    return SchoolFigures(
        pupils_on_roll=Pupil.objects.filter(
            Q(leaving_date__isnull=True) | Q(leaving_date__gt=today)
        ).count(),
        open_cases=current.filter(status=Concern.Status.OPEN).count(),
        overdue_actions=actions_open.filter(due_on__lt=today).count(),
        unscreened_over_24h=waiting.filter(recorded_at__lte=now - SCREENING_WINDOW).count(),
        alerts_undelivered=outbox_undelivered().count(),
        next_change_at=_next_change_at(
            now=now, today=today, waiting=waiting, actions_open=actions_open
        ),
        concerns=[ConcernCounts(**row) for row in concern_rows],
        categories=[
            CategoryCounts(
                month=row["month"],
                category_code=row["code"],
                year_group=row["year_group"],
                concerns=row["concerns"],
            )
            for row in category_rows
        ],
    )


def _next_change_at(
    *,
    now: dt.datetime,
    today: dt.date,
    waiting: QuerySet[Concern],
    actions_open: QuerySet[Action],
) -> dt.datetime | None:
    """The first moment a figure changes by time alone (see SchoolSnapshot.next_change_at)."""
    moments: list[dt.datetime] = []
    oldest_waiting = waiting.filter(recorded_at__gt=now - SCREENING_WINDOW).aggregate(
        first=Min("recorded_at")
    )["first"]
    if oldest_waiting is not None:
        moments.append(oldest_waiting + SCREENING_WINDOW)
    # An action is overdue from the day after its due date; a pupil is off roll on leaving day.
    next_due = actions_open.filter(due_on__gte=today).aggregate(first=Min("due_on"))["first"]
    if next_due is not None:
        moments.append(_start_of(next_due + dt.timedelta(days=1)))
    next_leaver = Pupil.objects.filter(leaving_date__gt=today).aggregate(first=Min("leaving_date"))[
        "first"
    ]
    if next_leaver is not None:
        moments.append(_start_of(next_leaver))
    return min(moments, default=None)


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON)


@transaction.atomic
def school_statistics_refresh(*, school: School, now: dt.datetime | None = None) -> SchoolSnapshot:
    """Replaces the school's rollup rows and snapshot with counts computed in its schema now."""
    now = now or timezone.now()
    SchoolSnapshot.objects.get_or_create(school=school)
    # The snapshot row is the school's lock: two refreshes at once write one after the other, and
    # the second computes after the first has committed, so the last writer has the newest counts.
    snapshot = SchoolSnapshot.objects.select_for_update().get(school=school)
    with schema_context(school.schema_name):
        figures = school_figures_compute(now=now)
    ConcernRollup.objects.filter(school=school).delete()
    ConcernRollup.objects.bulk_create(
        ConcernRollup(school=school, **vars(row)) for row in figures.concerns
    )
    CategoryRollup.objects.filter(school=school).delete()
    CategoryRollup.objects.bulk_create(
        CategoryRollup(school=school, **vars(row)) for row in figures.categories
    )
    school_month_rollup_rewrite(schools=School.objects.filter(pk=school.pk))
    snapshot.pupils_on_roll = figures.pupils_on_roll
    snapshot.open_cases = figures.open_cases
    snapshot.overdue_actions = figures.overdue_actions
    snapshot.unscreened_over_24h = figures.unscreened_over_24h
    snapshot.alerts_undelivered = figures.alerts_undelivered
    snapshot.next_change_at = figures.next_change_at
    snapshot.refreshed_at = now
    snapshot.save()
    trust_rollup_rewrite(trust_id=school.trust_id)
    return snapshot


_CONCERN_MEASURES = (
    "concerns",
    "screened_late",
    "referrals_social_care",
    "referrals_police",
    "referrals_early_help",
    "lado_referrals",
)


def school_month_rollup_rewrite(*, schools: QuerySet[School]) -> None:
    """Replaces the schools' per-month rows with the sums of their `ConcernRollup` rows, and the
    year-group and category cells each school's own page of the month hides.

    One school's after its refresh (a dozen rows or so), every school's in the nightly rebuild:
    the same code, so the two cannot disagree. Call it inside the transaction that wrote the
    rollup rows.
    """
    sums = list(
        ConcernRollup.objects.filter(school__in=schools)
        .values("school_id", "school__trust_id", "month")
        .annotate(**{f"sum_{f}": Sum(f) for f in _CONCERN_MEASURES})
        .order_by()
    )
    hidden = _hidden_cells(schools)
    SchoolMonthRollup.objects.filter(school__in=schools).delete()
    SchoolMonthRollup.objects.bulk_create(
        (
            SchoolMonthRollup(
                school_id=row["school_id"],
                trust_id=row["school__trust_id"],
                month=row["month"],
                **{f: row[f"sum_{f}"] or 0 for f in _CONCERN_MEASURES},
                hidden_year_groups=hidden[row["school_id"], row["month"]][0],
                hidden_categories=hidden[row["school_id"], row["month"]][1],
            )
            for row in sums
        ),
        batch_size=1000,
    )


def _hidden_cells(
    schools: QuerySet[School],
) -> dict[tuple[int, dt.date], tuple[list[int], list[str]]]:
    """Per (school, month): the year groups and category codes its own month page hides."""
    follow = _CONCERN_MEASURES[1:]
    return hidden_cells_per_school(
        concern_rows=ConcernRollup.objects.filter(school__in=schools)
        .values("school_id", "month", "year_group")
        .annotate(n=Sum("concerns"), **{f"sum_{f}": Sum(f) for f in follow})
        .order_by(),
        category_rows=CategoryRollup.objects.filter(school__in=schools)
        .values("school_id", "month", "category_code")
        .annotate(n=Sum("concerns"))
        .order_by(),
        follow=follow,
    )


@transaction.atomic
def trust_rollup_rewrite(*, trust_id: int) -> None:
    """Replaces the trust's aggregate rows with the sum of its schools' rollup rows now.

    Called at the end of every school refresh, in its transaction. The trust row is locked first
    (FOR NO KEY UPDATE: creating a school, whose foreign key only needs KEY SHARE, is not held
    up), so two schools of one trust refreshing at once rewrite one after the other, and the
    second sums after the first has committed (READ COMMITTED: each statement sees what was
    committed before it began). The aggregate therefore always equals the sum of the school rows.
    """
    list(Trust.objects.select_for_update(no_key=True).filter(pk=trust_id).values_list("pk"))
    # How many schools hide each year-group and category cell of a month on their own month page.
    hiding_years: Counter[tuple[dt.date, int]] = Counter()
    hiding_codes: Counter[tuple[dt.date, str]] = Counter()
    for month, year_groups, codes in (
        SchoolMonthRollup.objects.filter(school__trust_id=trust_id)
        .filter(Q(hidden_year_groups__len__gt=0) | Q(hidden_categories__len__gt=0))
        .values_list("month", "hidden_year_groups", "hidden_categories")
    ):
        hiding_years.update((month, year_group) for year_group in year_groups)
        hiding_codes.update((month, code) for code in codes)
    concern_sums = (
        ConcernRollup.objects.filter(school__trust_id=trust_id)
        .values("month", "year_group")
        .annotate(**{f"sum_{f}": Sum(f) for f in _CONCERN_MEASURES})
        .order_by()
    )
    TrustConcernRollup.objects.filter(trust_id=trust_id).delete()
    TrustConcernRollup.objects.bulk_create(
        TrustConcernRollup(
            trust_id=trust_id,
            month=row["month"],
            year_group=row["year_group"],
            **{f: row[f"sum_{f}"] or 0 for f in _CONCERN_MEASURES},
            schools_hiding=hiding_years[row["month"], row["year_group"]],
        )
        for row in concern_sums
    )
    _trust_months_rewrite(trust_id)
    _trust_snapshot_rewrite(trust_id)
    category_sums = (
        CategoryRollup.objects.filter(school__trust_id=trust_id)
        .values("month", "category_code")
        .annotate(total=Sum("concerns"))
        .order_by()
    )
    TrustCategoryRollup.objects.filter(trust_id=trust_id).delete()
    TrustCategoryRollup.objects.bulk_create(
        TrustCategoryRollup(
            trust_id=trust_id,
            month=row["month"],
            category_code=row["category_code"],
            concerns=row["total"] or 0,
            schools_hiding=hiding_codes[row["month"], row["category_code"]],
        )
        for row in category_sums
    )


def _trust_months_rewrite(trust_id: int) -> None:
    """The trust's rows of how many schools hide each month's total and follow-ups."""
    rows = (
        SchoolMonthRollup.objects.filter(trust_id=trust_id)
        .values("month")
        .annotate(**{f"hiding_{f}": Count("pk", filter=small(f)) for f in _CONCERN_MEASURES})
        .order_by()
    )
    TrustMonthRollup.objects.filter(trust_id=trust_id).delete()
    TrustMonthRollup.objects.bulk_create(
        TrustMonthRollup(
            trust_id=trust_id,
            month=row["month"],
            **{f"schools_hiding_{f}": row[f"hiding_{f}"] for f in _CONCERN_MEASURES},
        )
        for row in rows
    )


def _trust_snapshot_rewrite(trust_id: int) -> None:
    """The trust's figures as of now and its schools most in need, from its schools' snapshots."""
    whole = SchoolSnapshot.objects.filter(school__trust_id=trust_id).aggregate(
        pupils=Sum("pupils_on_roll"),
        refreshed_at=Min("refreshed_at"),
        **{f"sum_{f}": Sum(f) for f in SNAPSHOT_FIELDS},
        **{f"hiding_{f}": Count("pk", filter=small(f)) for f in SNAPSHOT_FIELDS},
    )
    # Only schools with something needing attention: those with none rank by name after them,
    # and a school created since has none, so the dashboard adds them when it reads.
    needing = Q(**{f"need_{NEED_FIELDS[0]}__gt": 0})
    for f in NEED_FIELDS[1:]:
        needing |= Q(**{f"need_{f}__gt": 0})
    ranked = (
        School.objects.filter(trust_id=trust_id)
        .annotate(**need_ranking())
        .filter(needing)
        .order_by(*(f"-need_{f}" for f in NEED_FIELDS), "name", "pk")
        .values_list("pk", flat=True)[:SCHOOLS_RANKED]
    )
    TrustSnapshot.objects.update_or_create(
        trust_id=trust_id,
        defaults={
            "pupils_on_roll": whole["pupils"] or 0,
            "refreshed_at": whole["refreshed_at"],
            **{f: whole[f"sum_{f}"] or 0 for f in SNAPSHOT_FIELDS},
            **{f"schools_hiding_{f}": whole[f"hiding_{f}"] for f in SNAPSHOT_FIELDS},
            "most_in_need": list(ranked),
        },
    )


def schools_due_for_refresh(*, now: dt.datetime | None = None) -> QuerySet[School]:
    """Active schools with a figure that has changed by time alone since their last refresh."""
    return School.objects.filter(
        status=School.Status.ACTIVE, snapshot__next_change_at__lte=now or timezone.now()
    )


def statistics_rebuild(
    *, schools: Iterable[School] | None = None, now: dt.datetime | None = None
) -> int:
    """Refreshes every active school (or those given), each in its own transaction.

    Each refresh rewrites its trust's aggregate; with no schools given, every trust's aggregate
    is rewritten as well (a trust whose schools are all suspended keeps correct figures).
    """
    rebuild_all = schools is None
    if schools is None:
        schools = School.objects.filter(status=School.Status.ACTIVE)
    done = 0
    for school in schools:
        school_statistics_refresh(school=school, now=now)
        done += 1
    if rebuild_all:
        trust_rollups_rewrite_all()
    return done


def trust_rollups_rewrite_all() -> int:
    """Rewrites every trust's aggregate rows, and its schools' per-month rows, from its schools'
    rollup rows: one transaction per trust."""
    trust_ids = list(Trust.objects.values_list("pk", flat=True))
    for trust_id in trust_ids:
        with transaction.atomic():
            # The schools' locks first (their snapshots), in the order a refresh takes them: a
            # school refreshing now finishes first, or waits for this rewrite.
            list(
                SchoolSnapshot.objects.select_for_update(of=("self",))
                .filter(school__trust_id=trust_id)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            school_month_rollup_rewrite(schools=School.objects.filter(trust_id=trust_id))
            trust_rollup_rewrite(trust_id=trust_id)
    return len(trust_ids)


# The name `statistics.tasks` registers its per-school refresh under; queued by name, so this
# module never imports the tasks that call it.
SCHOOL_REFRESH_TASK = "statistics.school_refresh"


def refresh_pending_key(school_schema: str) -> str:
    # The cache prefixes keys with the current schema; callers enter the school's schema first.
    return f"statistics-refresh-pending:{school_schema}"


def statistics_refresh_soon(school_schema: str) -> None:
    """After this transaction commits, refresh the school's figures within about 30 seconds.

    Call it from any service that changes what the statistics count (a concern recorded,
    screened, its status changed, an action added or completed, a LADO referral recorded, pupils
    imported or leaving). Many commits in a burst share one refresh: the first sets a pending
    marker and sends the task with a countdown; the task clears the marker before it counts, so a
    commit made while it counts sends another.
    """
    transaction.on_commit(lambda: _refresh_enqueue(school_schema))


def _refresh_enqueue(school_schema: str) -> None:
    # Inside the school's schema: the cache key and the task's message header both carry it.
    with schema_context(school_schema):
        if not cache.add(refresh_pending_key(school_schema), 1, _PENDING_TIMEOUT_SECONDS):
            return
        try:
            task_send(SCHOOL_REFRESH_TASK, countdown=REFRESH_DEBOUNCE_SECONDS)
        except Exception as error:
            # Never raised into the request that committed: the nightly rebuild repairs the
            # figures, and the next commit after the broker is back refreshes them sooner.
            cache.delete(refresh_pending_key(school_schema))
            logger.warning("statistics refresh not queued (%s)", type(error).__name__)
