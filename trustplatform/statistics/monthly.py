"""Each month's counts as its page's sheet takes them, built from rollup rows (pure: no queries).

A school's pages, the trust's pages and the refresh that records which year-group and category
cells each school's month page hides all build a month here, in one order (year groups by number,
categories by code), so the suppression they apply cannot disagree (docs/rules.md, "Small numbers
in statistics").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from trustplatform.statistics.suppression import MonthCounts, month_hidden_parts

YEAR_GROUPS = "year_groups"
CATEGORIES = "categories"
BREAKDOWNS = (YEAR_GROUPS, CATEGORIES)

Row = Mapping[str, Any]


def month_counts(
    *,
    months: Iterable[dt.date],
    concern_rows: Iterable[Row],
    category_rows: Iterable[Row],
    follow: Sequence[str],
    hide: Mapping[dt.date, frozenset[str]] | None = None,
) -> dict[dt.date, MonthCounts]:
    """Each month's `MonthCounts` from its rows, summed per key.

    `concern_rows`: month, year_group, n (concerns) and `sum_<f>` for each follow-up `f`;
    `category_rows`: month, category_code, n. A row's `hiding` (how many schools' month pages
    hide that cell, on the trust's rows) of exactly 1 hides the cell whatever its value.
    """
    hide = hide or {}
    years: dict[dt.date, dict[int, int]] = {m: {} for m in months}
    codes: dict[dt.date, dict[str, int]] = {m: {} for m in years}
    others: dict[dt.date, dict[str, int]] = {m: dict.fromkeys(follow, 0) for m in years}
    parts: dict[dt.date, set[tuple[str, object]]] = {m: set() for m in years}
    for row in concern_rows:
        month, year_group = row["month"], int(row["year_group"])
        years[month][year_group] = years[month].get(year_group, 0) + (row["n"] or 0)
        for f in follow:
            others[month][f] += row[f"sum_{f}"] or 0
        if row.get("hiding") == 1:
            parts[month].add((YEAR_GROUPS, year_group))
    for row in category_rows:
        month, code = row["month"], str(row["category_code"])
        codes[month][code] = codes[month].get(code, 0) + (row["n"] or 0)
        if row.get("hiding") == 1:
            parts[month].add((CATEGORIES, code))
    return {
        m: MonthCounts(
            total=sum(years[m].values()),
            breakdowns={
                YEAR_GROUPS: dict(sorted(years[m].items())),
                CATEGORIES: dict(sorted(codes[m].items())),
            },
            others=others[m],
            hide=hide.get(m, frozenset()),
            hide_parts=frozenset(parts[m]),
        )
        for m in years
    }


def hidden_cells(month: MonthCounts) -> tuple[list[int], list[str]]:
    """The year groups and the category codes whose cells the month's own page hides."""
    parts = month_hidden_parts(month)
    return (
        sorted(int(key) for name, key in parts if name == YEAR_GROUPS),  # type: ignore[call-overload]
        sorted(str(key) for name, key in parts if name == CATEGORIES),
    )


def hidden_cells_per_school(
    *, concern_rows: Iterable[Row], category_rows: Iterable[Row], follow: Sequence[str]
) -> dict[tuple[int, dt.date], tuple[list[int], list[str]]]:
    """Per (school, month) of the rows (each with its `school_id`): `hidden_cells` of that
    school's month, built as its own page builds it."""
    concerns: dict[int, list[Row]] = {}
    for row in concern_rows:
        concerns.setdefault(row["school_id"], []).append(row)
    categories: dict[int, list[Row]] = {}
    for row in category_rows:
        categories.setdefault(row["school_id"], []).append(row)
    out: dict[tuple[int, dt.date], tuple[list[int], list[str]]] = {}
    for school_id, rows in concerns.items():
        months = month_counts(
            months={row["month"] for row in rows},
            concern_rows=rows,
            category_rows=categories.get(school_id, []),
            follow=follow,
        )
        for month, counts in months.items():
            out[school_id, month] = hidden_cells(counts)
    return out
