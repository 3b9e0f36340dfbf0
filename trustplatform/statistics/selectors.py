"""Reads of the trust statistics: the rollup, suppressed, shaped into tables and charts.

Only the public-schema rollup is read here (never a school's schema), so the trust dashboard costs
the same few queries whatever the number of schools (docs/rules.md, "Trust statistics"): its
trust-wide tables read the trust's aggregate rows, and its per-school table is one query with one
row per school. Callers have already decided who may see which trust or school (views use `require`
and `trust_for_capability`). Every count leaves through one `Sheet` per page, so a figure shared by
two tables is hidden in both or in neither.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    FilteredRelation,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from safeguarding.default_categories import DEFAULT_CATEGORIES
from safeguarding.models.categories import YearGroup
from tenants.models import School, Trust
from tenants.replica import replica_reads
from trustplatform.prepared import Prepared, Row
from trustplatform.schooldays.models import Term
from trustplatform.statistics.expressions import SCHOOLS_RANKED, small
from trustplatform.statistics.models import (
    CategoryRollup,
    ConcernRollup,
    SchoolSnapshot,
    TrustCategoryRollup,
    TrustConcernRollup,
    TrustMonthRollup,
    TrustSnapshot,
)
from trustplatform.statistics.monthly import BREAKDOWNS, CATEGORIES, YEAR_GROUPS, month_counts
from trustplatform.statistics.periods import (
    TRUST_CALENDAR,
    Period,
    PeriodError,
    TermSpan,
    default_period,
    parse_period,
)
from trustplatform.statistics.suppression import (
    SUPPRESSED,
    PeriodCells,
    Published,
    Sheet,
    Shown,
    is_small,
    suppress_months,
)

LONDON = ZoneInfo("Europe/London")
FOLLOW_UPS = (
    ("screened_late", "Not screened within 24 hours"),
    ("referrals_social_care", "Referred to children's social care"),
    ("referrals_police", "Referred to the police"),
    ("referrals_early_help", "Referred to early help"),
    ("lado_referrals", "Allegations reported to the LADO"),
)
SNAPSHOT_FIGURES = (
    ("open_cases", "Open cases"),
    ("overdue_actions", "Overdue actions"),
    ("unscreened_over_24h", "Waiting over 24 hours for screening"),
)
CATEGORY_NAMES = {default.code: default.name for default in DEFAULT_CATEGORIES}
OWN_CATEGORIES = "Schools' own categories"

Cell = Shown | str | float | None


class Bar(NamedTuple):
    """One bar of a chart (a tuple: the per-school chart has one per school)."""

    label: str
    value: Shown | float | None

    @property
    def suppressed(self) -> bool:
        return self.value == SUPPRESSED


@dataclass(frozen=True)
class Table:
    """One published table; `bars` is what its chart draws (may be empty: no chart)."""

    key: str
    title: str
    note: str
    headings: list[str]
    rows: list[list[Cell]]
    total: list[Cell] | None
    bars: list[Bar]
    bar_label: str
    # The school of each row, for the per-school table's links to that school's own figures.
    row_schools: tuple[int, ...] = ()


@dataclass(frozen=True)
class Statistics:
    title: str
    period: str
    months: list[dt.date]
    pupils_on_roll: int
    refreshed_at: dt.datetime | None  # the oldest school's figures
    not_refreshed: list[str]  # names of schools with no figures yet
    tables: list[Table]
    # (school name, how many) for schools with alert emails that were not delivered.
    alerts_undelivered: tuple[tuple[str, int], ...] = ()
    period_key: str = ""
    period_note: str = ""  # how the period maps to whole months, when that needs saying
    compare_key: str = ""  # the second period's key, when two are compared
    schools: int = 0  # how many schools the trust has (its page may show only some)

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


def rate(published: Published, index: int, pupils: int) -> Shown | float | None:
    """Per 100 pupils, hidden whenever the count is (pupils on roll are published beside it)."""
    if published.hidden[index]:
        return SUPPRESSED
    if pupils <= 0:
        return None
    return round(published.values[index] * 100 / pupils, 1)


def _year_label(year_group: int) -> str:
    try:
        return str(YearGroup(year_group).label)
    except ValueError:
        return f"Year group {year_group}"


def _category_label(code: str) -> str:
    return CATEGORY_NAMES.get(code, code.replace("-", " ").capitalize()) if code else OWN_CATEGORIES


def _period(period: Period) -> str:
    return period.label if period.label == period.span else f"{period.label} ({period.span})"


ConcernRows = QuerySet[ConcernRollup] | QuerySet[TrustConcernRollup]
CategoryRows = QuerySet[CategoryRollup] | QuerySet[TrustCategoryRollup]


def _month_range(months: list[dt.date]) -> tuple[dt.date, dt.date]:
    """The first and the last month of a period's months, which follow one another (a period is
    whole months in a row); a range no month falls in when there are none."""
    if not months:
        return dt.date.max, dt.date.min
    if any(b != _next_month(a) for a, b in itertools.pairwise(months)):
        raise ValueError("a period's months follow one another")
    return months[0], months[-1]


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _concern_month_values(concern_rows: ConcernRows) -> QuerySet[Any]:
    """Per month, the concern rows summed by year group; on the trust's rows, with how many
    schools' month pages hide each cell (`hiding`)."""
    follow = [f for f, _ in FOLLOW_UPS]
    values = (
        concern_rows.values("month", "year_group")
        .annotate(n=Sum("concerns"), **{f"sum_{f}": Sum(f) for f in follow})
        .order_by()
    )
    if concern_rows.model is TrustConcernRollup:
        values = values.annotate(hiding=Sum("schools_hiding"))
    return values


def _category_month_values(category_rows: CategoryRows) -> QuerySet[Any]:
    """Per month, the category rows summed by category; on the trust's rows, with `hiding`."""
    values = category_rows.values("month", "category_code").annotate(n=Sum("concerns")).order_by()
    if category_rows.model is TrustCategoryRollup:
        values = values.annotate(hiding=Sum("schools_hiding"))
    return values


# The trust's queries of each dashboard request, compiled once (`Prepared`): building them cost
# more CPU than the database takes to answer them.
_TRUST_CONCERN_VALUES = Prepared(
    lambda trust_id, first, last: _concern_month_values(
        TrustConcernRollup.objects.filter(trust_id=trust_id, month__range=(first, last))
    ),
    TrustConcernRollup,
)
_TRUST_CATEGORY_VALUES = Prepared(
    lambda trust_id, first, last: _category_month_values(
        TrustCategoryRollup.objects.filter(trust_id=trust_id, month__range=(first, last))
    ),
    TrustCategoryRollup,
)


def _period_cells(
    concern_values: Iterable[Row],
    category_values: Iterable[Row],
    months: list[dt.date],
    hide: dict[dt.date, frozenset[str]] | None = None,
) -> tuple[PeriodCells, list[tuple[int, int]], list[tuple[str, int]]]:
    """The period's figures, decided month by month (`suppress_months`), with the entries of the
    year-group and category tables in the order they are shown; the rows as
    `_concern_month_values` and `_category_month_values` give them; `hide`: figures of a month
    hidden whatever their value (see `_one_school_hidden`). On the trust's rows, a year-group or
    category cell of a month that exactly one school's month page hides is hidden as well."""
    follow = [f for f, _ in FOLLOW_UPS]
    per_month = month_counts(
        months=months,
        concern_rows=concern_values,
        category_rows=category_values,
        follow=follow,
        hide=hide,
    )
    cells = suppress_months([per_month[m] for m in months], breakdowns=BREAKDOWNS, others=follow)
    year_cells = sorted(
        ((int(yg), i) for yg, i in cells.breakdowns[YEAR_GROUPS]),  # type: ignore[call-overload]
    )
    order = {d.code: i for i, d in enumerate(DEFAULT_CATEGORIES)}
    category_cells = sorted(
        ((str(code), i) for code, i in cells.breakdowns[CATEGORIES]),
        key=lambda kv: (kv[0] == "", order.get(kv[0], 999), kv[0]),
    )
    return cells, year_cells, category_cells


def _breakdown_tables(
    *,
    out: Published,
    pupils: int,
    months: list[dt.date],
    month_cells: list[int],
    year_cells: list[tuple[int, int]],
    category_cells: list[tuple[str, int]],
    grand: int,
    who: str,
) -> list[Table]:
    return [
        Table(
            key="months",
            title=f"Concerns per month, {who}",
            note="Concerns about a child, by the month they happened.",
            headings=["Month", "Concerns", "Per 100 pupils"],
            rows=[
                [f"{m:%b %Y}", out.shown(i), rate(out, i, pupils)]
                for m, i in zip(months, month_cells, strict=True)
            ],
            total=["Total", out.shown(grand), rate(out, grand, pupils)],
            bars=[
                Bar(f"{m:%b %Y}", out.shown(i)) for m, i in zip(months, month_cells, strict=True)
            ],
            bar_label="concerns",
        ),
        Table(
            key="categories",
            title=f"Concerns by category, {who}",
            note=(
                "A concern can be in more than one category, so this table adds up to more than "
                "the number of concerns and has no total."
            ),
            headings=["Category", "Concerns", "Per 100 pupils"],
            rows=[
                [_category_label(c), out.shown(i), rate(out, i, pupils)] for c, i in category_cells
            ],
            total=None,
            bars=[Bar(_category_label(c), out.shown(i)) for c, i in category_cells],
            bar_label="concerns",
        ),
        Table(
            key="year-groups",
            title=f"Concerns by year group, {who}",
            note="By each child's current year group.",
            headings=["Year group", "Concerns"],
            rows=[[_year_label(yg), out.shown(i)] for yg, i in year_cells],
            total=["Total", out.shown(grand)],
            bars=[Bar(_year_label(yg), out.shown(i)) for yg, i in year_cells],
            bar_label="concerns",
        ),
    ]


_FIELDS = ("concerns", *(f for f, _ in FOLLOW_UPS))


def _school_rows_query(
    trust_id: int, first: dt.date, last: dt.date, ranked: list[int] | None = None
) -> QuerySet[Any]:
    """A row per school of the trust (of `ranked` only, when given): its snapshot and its sums
    over the months from `first` to `last`, with how many of those months each is small."""
    schools = School.objects.filter(trust_id=trust_id)
    if ranked is not None:
        schools = schools.filter(pk__in=ranked)
    rows = (
        schools.annotate(
            recent=FilteredRelation(
                "month_rollups",
                condition=Q(
                    month_rollups__trust_id=trust_id, month_rollups__month__range=(first, last)
                ),
            )
        )
        .values(
            "pk",
            "name",
            "snapshot__pupils_on_roll",
            "snapshot__refreshed_at",
            "snapshot__alerts_undelivered",
            *(f"snapshot__{f}" for f, _ in SNAPSHOT_FIGURES),
        )
        .annotate(**{f"sum_{f}": Sum(f"recent__{f}") for f in _FIELDS})
        .annotate(
            **{f"small_{f}": Count("recent__month", filter=small(f"recent__{f}")) for f in _FIELDS}
        )
    )
    return rows.order_by("name", "pk") if ranked is None else rows.order_by()


_SCHOOL_ROWS = Prepared(_school_rows_query, School)


def _school_rows(
    trust: Trust,
    months: list[dt.date],
    most_in_need: int | None,
    snapshot: dict[str, Any],
) -> list[dict[str, Any]]:
    """One row per school of the trust: its snapshot and its sums over `months`; only the
    `most_in_need` schools most in need of attention, when given, most in need first (as the
    trust's `snapshot`, from `_trust_snapshot`, ranks them).

    The sums read the schools' per-month rows (`SchoolMonthRollup`), the trust's over the
    period's months being one range of its index: a row per school and month. The schools most in
    need are those the trust's snapshot ranks, then those needing nothing by name: the rows of
    those few schools only, whatever the number of schools.
    """
    first, last = _month_range(months)
    if most_in_need is None:
        return _SCHOOL_ROWS.rows(trust_id=trust.pk, first=first, last=last)
    kept = snapshot["most_in_need"]
    ranked = _most_in_need(trust, most_in_need, kept)
    if not ranked:
        return []
    rows = _SCHOOL_ROWS.rows(trust_id=trust.pk, first=first, last=last, ranked=ranked)
    place = {pk: n for n, pk in enumerate(ranked)}
    return sorted(rows, key=lambda row: place[row["pk"]])


def _most_in_need(trust: Trust, count: int, kept: list[int]) -> list[int]:
    """The ids of the trust's `count` schools most in need of attention, most in need first
    (`count` at most `SCHOOLS_RANKED`, as many as the trust's snapshot keeps in order).

    The trust's snapshot keeps (`kept`) the first `SCHOOLS_RANKED` of the schools with a figure
    needing attention; the schools needing none (a school created since its last rewrite among
    them) follow by name, as they rank alike.
    """
    if not 0 < count <= SCHOOLS_RANKED:
        raise ValueError(f"the schools most in need: 1 to {SCHOOLS_RANKED}, not {count}")
    kept = kept[:count]
    if len(kept) < count:
        unranked = _UNRANKED.rows(trust_id=trust.pk, kept=kept or [0])
        kept = kept + [row["pk"] for row in unranked][: count - len(kept)]
    return kept


# The schools the trust's snapshot does not rank, by name (the first few are read).
_UNRANKED = Prepared(
    lambda trust_id, kept: (
        School.objects.filter(trust_id=trust_id)
        .exclude(pk__in=kept)
        .order_by("name", "pk")
        .values("pk")[:SCHOOLS_RANKED]
    ),
    School,
)

_SNAPSHOT_FIELDS = tuple(f for f, _ in SNAPSHOT_FIGURES)
_TRUST_SNAPSHOT = Prepared(
    lambda trust_id: TrustSnapshot.objects.filter(trust_id=trust_id).values(
        "pupils_on_roll",
        "refreshed_at",
        "most_in_need",
        *_SNAPSHOT_FIELDS,
        *(f"schools_hiding_{f}" for f in _SNAPSHOT_FIELDS),
    ),
    TrustSnapshot,
)


def _trust_snapshot(trust: Trust) -> dict[str, Any]:
    """The trust's figures as of now (its snapshot, summed over its schools when they were
    refreshed): pupils, the oldest refresh, each figure's sum and how many schools have it at 1
    to 5, and the ids of the schools most in need of attention, most in need first."""
    rows = _TRUST_SNAPSHOT.rows(trust_id=trust.pk)
    row = rows[0] if rows else {}
    return {
        "pupils": row.get("pupils_on_roll", 0),
        "refreshed_at": row.get("refreshed_at"),
        "most_in_need": list(row.get("most_in_need") or []),
        **{f"sum_{f}": row.get(f, 0) for f in _SNAPSHOT_FIELDS},
        **{f"small_{f}": row.get(f"schools_hiding_{f}", 0) for f in _SNAPSHOT_FIELDS},
    }


_TRUST_MONTHS = Prepared(
    lambda trust_id, first, last: TrustMonthRollup.objects.filter(
        trust_id=trust_id, month__range=(first, last)
    ).values("month", *(f"schools_hiding_{f}" for f in _FIELDS)),
    TrustMonthRollup,
)


def _one_school_hidden(trust: Trust, months: list[dt.date]) -> dict[dt.date, frozenset[str]]:
    """The trust's figures of each month that exactly one school hides (a small count).

    A school's own pages hide its month's total or follow-up exactly when it is small; with
    every other school's shown, the trust's figure would give that one away, so it is hidden.
    Two or more hidden schools share what the trust's figure tells. How many schools hide each
    is kept on the trust's month rows (`TrustMonthRollup`): a row per month.
    """
    first, last = _month_range(months)
    return {
        row["month"]: frozenset(
            "total" if f == "concerns" else f for f in _FIELDS if row[f"schools_hiding_{f}"] == 1
        )
        for row in _TRUST_MONTHS.rows(trust_id=trust.pk, first=first, last=last)
    }


def trust_school_get(*, trust: Trust, school_id: int) -> School | None:
    """One school of the trust (None for another trust's school: the caller answers 404)."""
    return School.objects.filter(trust=trust, pk=school_id).first()


def trust_term_dates(*, trust: Trust) -> list[TermSpan]:
    """The term dates of the trust's schools (the calendar), to map terms to months.

    Each set of dates once, with how many schools use it: as many rows as there are different
    dates, not one per school and term.
    """
    return [TermSpan(**row) for row in _TRUST_TERM_DATES.rows(trust_id=trust.pk)]


_TRUST_TERM_DATES = Prepared(
    lambda trust_id: (
        Term.objects.filter(school__trust_id=trust_id)
        .values("academic_year", "name", "first_day", "last_day")
        .annotate(schools=Count("pk"))
        .order_by()
    ),
    Term,
)


def school_term_dates(*, school: School) -> list[TermSpan]:
    """One school's own term dates, for the periods of its own page."""
    return [
        TermSpan(*row)
        for row in Term.objects.filter(school=school).values_list(
            "academic_year", "name", "first_day", "last_day"
        )
    ]


def period_or_default(
    key: str | None, *, today: dt.date, dates: list[TermSpan], calendar: str = TRUST_CALENDAR
) -> tuple[Period, str]:
    """The period a key names (terms by `dates`), or the default period and what was wrong."""
    if not key:
        return default_period(today), ""
    try:
        return parse_period(key, today=today, dates=dates, calendar=calendar), ""
    except PeriodError as error:
        return default_period(today), str(error)


# The schools a trust's page names beside its tables: those with no figures yet, and those
# with alert emails that were not delivered, by name (a few, never every school).
_SCHOOLS_TO_NAME = Prepared(
    lambda trust_id: (
        School.objects.filter(trust_id=trust_id)
        .filter(
            Q(snapshot__isnull=True)
            | Q(snapshot__refreshed_at__isnull=True)
            | Q(snapshot__alerts_undelivered__gt=0)
        )
        .order_by("name", "pk")
        .values("name", "snapshot__refreshed_at", "snapshot__alerts_undelivered")
    ),
    School,
)
_SCHOOL_COUNT = Prepared(
    lambda trust_id: (
        Trust.objects.filter(pk=trust_id).values("pk").annotate(school_count=Count("schools"))
    ),
    Trust,
)


# Figures refreshed once a night bear the standby's lag of a second: read from the replica when
# there is one (tenants/replica.py).
@replica_reads()
def trust_statistics(
    *,
    trust: Trust,
    period: Period | None = None,
    today: dt.date | None = None,
    most_in_need: int | None = None,
) -> Statistics:
    """The trust's dashboard: per school, per month, category and year group; all suppressed.

    The per-school table is one query (one row per school); the trust-wide tables read the
    trust's aggregate rows (`TrustConcernRollup`, `TrustCategoryRollup`), which hold the sum of
    its schools' rows, so they read the same number of rows whatever the number of schools.
    """
    today = today or timezone.localdate(timezone.now(), LONDON)
    period = period or default_period(today)
    months = list(period.months)
    whole = _trust_snapshot(trust)
    school_rows = _school_rows(trust, months, most_in_need, whole)
    first, last = _month_range(months)

    # The trust-wide figures first, month by month; the per-school table's totals are those
    # figures as published, so each school's cells are suppressed against them.
    cells, year_cells, category_cells = _period_cells(
        _TRUST_CONCERN_VALUES.rows(trust_id=trust.pk, first=first, last=last),
        _TRUST_CATEGORY_VALUES.rows(trust_id=trust.pk, first=first, last=last),
        months,
        _one_school_hidden(trust, months),
    )
    trust_wide = cells.published
    # Every cell of the per-school table is decided by a rule of its own, never by the other
    # schools' cells (docs/rules.md, "Small numbers in statistics"), so the dashboard reads only
    # the schools it shows: a school's sum over the period is hidden when any of its months' is,
    # a figure as of now when it is 1 to 5; the trust's totals as on the trust-wide tables, and
    # a figure as of now also when exactly one school hides its part.
    out = Published(values=[], hidden=[])
    add = out.add

    columns: dict[str, list[int]] = {}
    totals: dict[str, int] = {}
    for field in ["concerns", *(f for f, _ in FOLLOW_UPS)]:
        columns[field] = [
            add(row[f"sum_{field}"] or 0, bool(row[f"small_{field}"])) for row in school_rows
        ]
        decided = cells.total if field == "concerns" else cells.others[field]
        totals[field] = add(trust_wide.values[decided], trust_wide.hidden[decided])
    for field, _ in SNAPSHOT_FIGURES:
        columns[field] = [
            add(value, is_small(value))
            for value in (row[f"snapshot__{field}"] or 0 for row in school_rows)
        ]
        total = whole[f"sum_{field}"] or 0
        totals[field] = add(total, is_small(total) or whole[f"small_{field}"] == 1)

    pupils = [row["snapshot__pupils_on_roll"] or 0 for row in school_rows]
    trust_pupils = whole["pupils"] or 0
    attention = _SCHOOLS_TO_NAME.rows(trust_id=trust.pk)
    return Statistics(
        title=f"Safeguarding statistics: {trust.name}",
        period=_period(period),
        period_key=period.key,
        period_note=period.note,
        months=months,
        pupils_on_roll=trust_pupils,
        refreshed_at=whole["refreshed_at"],
        not_refreshed=[row["name"] for row in attention if row["snapshot__refreshed_at"] is None],
        alerts_undelivered=tuple(
            (row["name"], row["snapshot__alerts_undelivered"])
            for row in attention
            if (row["snapshot__alerts_undelivered"] or 0) > 0
        ),
        schools=_SCHOOL_COUNT.rows(trust_id=trust.pk)[0]["school_count"],
        tables=[
            _schools_table(
                out,
                school_rows=school_rows,
                columns=columns,
                totals=totals,
                pupils=pupils,
                trust_pupils=trust_pupils,
            ),
            *_breakdown_tables(
                out=trust_wide,
                pupils=trust_pupils,
                months=months,
                month_cells=cells.months,
                year_cells=year_cells,
                category_cells=category_cells,
                grand=cells.total,
                who="whole trust",
            ),
            _follow_ups_table(out, totals, trust_pupils),
        ],
    )


def _schools_table(
    out: Published,
    *,
    school_rows: list[dict[str, Any]],
    columns: dict[str, list[int]],
    totals: dict[str, int],
    pupils: list[int],
    trust_pupils: int,
) -> Table:
    grand = totals["concerns"]
    headings = ["School", "Pupils on roll", "Concerns", "Per 100 pupils"]
    headings += [label for _, label in FOLLOW_UPS] + [label for _, label in SNAPSHOT_FIGURES]
    measures = [f for f, _ in FOLLOW_UPS] + [f for f, _ in SNAPSHOT_FIGURES]
    # Column by column (a row per school): each cell is a list lookup, not a call per cell.
    names = [row["name"] for row in school_rows]
    rates = [rate(out, i, p) for i, p in zip(columns["concerns"], pupils, strict=True)]
    table_rows: list[list[Cell]] = [
        list(cells)
        for cells in zip(
            names,
            pupils,
            out.shown_all(columns["concerns"]),
            rates,
            *(out.shown_all(columns[f]) for f in measures),
            strict=True,
        )
    ]
    total_row: list[Cell] = [
        "Trust",
        trust_pupils,
        out.shown(grand),
        rate(out, grand, trust_pupils),
        *(out.shown(totals[f]) for f in measures),
    ]
    return Table(
        key="schools",
        title="Concerns per 100 pupils, by school",
        note=(
            "Concerns about a child and what followed them over the period; open cases, "
            "overdue actions and concerns waiting for screening as of the figures' time."
        ),
        headings=headings,
        rows=table_rows,
        total=total_row,
        # No chart: a bar per school would grow with the trust (docs/rules.md, "Trust
        # statistics"); the dashboard shows the schools most in need, the schools page them all.
        bars=[],
        bar_label="concerns per 100 pupils",
        row_schools=tuple(row["pk"] for row in school_rows),
    )


def _follow_ups_table(out: Published, totals: dict[str, int], trust_pupils: int) -> Table:
    return Table(
        key="referrals",
        title="Referrals and late screening, whole trust",
        note="Concerns about a child that led to each, over the period.",
        headings=["Follow-up", "Concerns", "Per 100 pupils"],
        rows=[
            [label, out.shown(totals[f]), rate(out, totals[f], trust_pupils)]
            for f, label in FOLLOW_UPS
        ],
        total=None,
        bars=[Bar(label, out.shown(totals[f])) for f, label in FOLLOW_UPS],
        bar_label="concerns",
    )


@replica_reads()
def school_statistics(
    *, school: School, period: Period | None = None, today: dt.date | None = None
) -> Statistics:
    """One school's page: the same tables for that school alone, suppressed the same way.

    Over `period`, or the school year so far (the default of every statistics page).
    """
    today = today or timezone.localdate(timezone.now(), LONDON)
    period = period or default_period(today)
    months = list(period.months)
    snapshot = SchoolSnapshot.objects.filter(school=school).first()
    cells, year_cells, category_cells = _period_cells(
        _concern_month_values(ConcernRollup.objects.filter(school=school, month__in=months)),
        _category_month_values(CategoryRollup.objects.filter(school=school, month__in=months)),
        months,
    )
    out = cells.published
    follow_cells = cells.others
    # Figures as of now, with no sum between them: small ones hidden.
    sheet = Sheet()
    snapshot_cells = {
        f: sheet.entry(getattr(snapshot, f) if snapshot else 0) for f, _ in SNAPSHOT_FIGURES
    }
    now_out = sheet.publish()
    pupils = snapshot.pupils_on_roll if snapshot else 0
    headline = Table(
        key="summary",
        title="Cases and follow-ups",
        note=(
            "Follow-ups count concerns about a child over the period; open cases, overdue "
            "actions and concerns waiting for screening are as of the figures' time."
        ),
        headings=["Measure", "Number", "Per 100 pupils"],
        rows=[
            [label, out.shown(follow_cells[f]), rate(out, follow_cells[f], pupils)]
            for f, label in FOLLOW_UPS
        ]
        + [[label, now_out.shown(snapshot_cells[f]), None] for f, label in SNAPSHOT_FIGURES],
        total=None,
        bars=[Bar(label, out.shown(follow_cells[f])) for f, label in FOLLOW_UPS],
        bar_label="concerns",
    )
    return Statistics(
        title=f"Safeguarding statistics: {school.name}",
        period=_period(period),
        period_key=period.key,
        period_note=period.note,
        months=months,
        pupils_on_roll=pupils,
        refreshed_at=snapshot.refreshed_at if snapshot else None,
        not_refreshed=[] if snapshot and snapshot.refreshed_at else [school.name],
        tables=[
            *_breakdown_tables(
                out=out,
                pupils=pupils,
                months=months,
                month_cells=cells.months,
                year_cells=year_cells,
                category_cells=category_cells,
                grand=cells.total,
                who="this school",
            ),
            headline,
        ],
    )


# --- two periods side by side ------------------------------------------------------------------

COMPARED = ("categories", "year-groups", "referrals")


def difference(first: Cell, second: Cell) -> Shown | None:
    """`first` minus `second`, hidden whenever either is hidden.

    Published only when both sides are, so it tells nothing that the two published figures do not
    already tell: each period's own suppression is then all the protection a hidden figure needs.
    """
    if SUPPRESSED in {first, second}:
        return SUPPRESSED
    if isinstance(first, int) and isinstance(second, int):
        return first - second
    return None


def _signed(value: Shown | None) -> Cell:
    if isinstance(value, int) and value > 0:
        return f"+{value}"
    return value


def _side_by_side(first: Table, second: Table, names: tuple[str, str]) -> Table:
    """Each row's count in both periods and the difference (rows missing from one count 0)."""
    later = {str(row[0]): row[1] for row in second.rows}
    labels = [str(row[0]) for row in first.rows]
    labels += [label for label in later if label not in labels]
    earlier = {str(row[0]): row[1] for row in first.rows}
    rows: list[list[Cell]] = []
    for label in labels:
        a, b = earlier.get(label, 0), later.get(label, 0)
        rows.append([label, a, b, _signed(difference(a, b))])
    total: list[Cell] | None = None
    if first.total and second.total:
        total = [
            first.total[0],
            first.total[1],
            second.total[1],
            _signed(difference(first.total[1], second.total[1])),
        ]
    return Table(
        key=first.key,
        title=first.title,
        note=first.note,
        headings=[first.headings[0], *names, "Difference"],
        rows=rows,
        total=total,
        bars=[],
        bar_label=first.bar_label,
    )


def _schools_side_by_side(first: Table, second: Table, names: tuple[str, str]) -> Table:
    """Concerns per school in both periods, the difference and both rates."""
    later = {str(row[0]): row for row in second.rows}

    def row_of(one: list[Cell], other: list[Cell] | None) -> list[Cell]:
        b = other[2] if other else 0
        rate_b = other[3] if other else None
        return [one[0], one[1], one[2], b, _signed(difference(one[2], b)), one[3], rate_b]

    return Table(
        key="schools",
        title="Concerns per 100 pupils, by school",
        note=(
            "Concerns about a child in each period; rates per 100 pupils on roll now. Open "
            "cases and overdue actions are on the page of one period."
        ),
        headings=[
            "School",
            "Pupils on roll",
            f"Concerns, {names[0]}",
            f"Concerns, {names[1]}",
            "Difference",
            f"Per 100 pupils, {names[0]}",
            f"Per 100 pupils, {names[1]}",
        ],
        rows=[row_of(row, later.get(str(row[0]))) for row in first.rows],
        row_schools=first.row_schools,
        total=row_of(first.total, second.total) if first.total and second.total else None,
        bars=[],
        bar_label="",
    )


def trust_comparison(
    *,
    trust: Trust,
    period: Period,
    other: Period,
    today: dt.date | None = None,
    most_in_need: int | None = None,
) -> Statistics:
    """The trust's figures for `period` beside those for `other` (no month in common).

    Each period is suppressed on its own sheet, as on its own page, so a figure is hidden in the
    comparison exactly when it is hidden on that period's page; a difference is published only
    when both of its figures are. Two periods sharing a month would share figures across the two
    sheets, so the caller refuses them (`periods_overlap`).
    """
    # The schools most in need are ranked by figures as of now: the same in both periods.
    first = trust_statistics(trust=trust, period=period, today=today, most_in_need=most_in_need)
    second = trust_statistics(trust=trust, period=other, today=today, most_in_need=most_in_need)
    names = (period.label, other.label)
    tables = [_schools_side_by_side(_must(first, "schools"), _must(second, "schools"), names)]
    for stats, name in ((first, period.label), (second, other.label)):
        months = _must(stats, "months")
        tables.append(
            replace(
                months,
                key=f"months-{'first' if stats is first else 'second'}",
                title=f"Concerns per month, whole trust, {name}",
            )
        )
    tables += [_side_by_side(_must(first, k), _must(second, k), names) for k in COMPARED]
    return Statistics(
        title=first.title,
        period=f"{first.period} compared with {second.period}",
        period_key=period.key,
        # Each note names its period (a year's says only "1 September to 31 August").
        period_note=" ".join(
            p.note if p.label in p.note else f"{p.label}: {p.note}"
            for p in (period, other)
            if p.note
        ),
        months=first.months,
        pupils_on_roll=first.pupils_on_roll,
        refreshed_at=first.refreshed_at,
        not_refreshed=first.not_refreshed,
        alerts_undelivered=first.alerts_undelivered,
        tables=tables,
        compare_key=other.key,
        schools=first.schools,
    )


def _must(stats: Statistics, key: str) -> Table:
    table = stats.table(key)
    if table is None:  # every trust page has these tables
        raise LookupError(key)
    return table


# --- the per-school table, bounded on the dashboard, paged on its own page ---------------------

# Columns of the per-school table that say how much a school needs attention now, most urgent
# first: what orders the dashboard's few schools.
NEED = ("Waiting over 24 hours for screening", "Overdue actions", "Open cases")


def _need(cell: Cell) -> int:
    # Ordered by the published figure only: a hidden count ranks as the smallest it could be, so
    # the order tells nothing that the cells do not.
    if cell == SUPPRESSED:
        return 1
    return cell if isinstance(cell, int) else 0


def schools_most_in_need(table: Table, *, count: int) -> Table:
    """The `count` schools of the per-school table that most need attention now, as published."""
    columns = [table.headings.index(h) for h in NEED if h in table.headings]
    order = sorted(
        range(len(table.rows)),
        key=lambda n: (*(-_need(table.rows[n][c]) for c in columns), str(table.rows[n][0])),
    )[:count]
    return replace(
        table,
        title="Schools most in need of attention",
        note=(
            f"The {min(count, len(table.rows))} schools with the most concerns waiting over 24 "
            "hours for screening, then overdue actions, then open cases; every school is on the "
            "schools page."
        ),
        rows=[table.rows[n] for n in order],
        row_schools=tuple(table.row_schools[n] for n in order) if table.row_schools else (),
    )


@dataclass(frozen=True)
class SchoolsPage:
    table: Table
    number: int
    pages: int
    matching: int


def schools_page(table: Table, *, query: str, number: int, per_page: int) -> SchoolsPage:
    """One page of the per-school table, its schools' names containing `query` (any case).

    Only the rows shown change: every cell is published as on the whole table, so searching or
    paging shows nothing the whole table does not.
    """
    wanted = query.strip().casefold()
    keep = [n for n, row in enumerate(table.rows) if wanted in str(row[0]).casefold()]
    pages = max(1, -(-len(keep) // per_page))
    number = min(max(1, number), pages)
    shown = keep[(number - 1) * per_page : number * per_page]
    return SchoolsPage(
        table=replace(
            table,
            rows=[table.rows[n] for n in shown],
            row_schools=tuple(table.row_schools[n] for n in shown) if table.row_schools else (),
        ),
        number=number,
        pages=pages,
        matching=len(keep),
    )
