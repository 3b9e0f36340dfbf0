"""One suppression rule for every period: whatever the monthly counts, no hidden figure of any
month, term or school year can be worked out from the published figures of all the pages
together (docs/rules.md, "Small numbers in statistics")."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from trustplatform.statistics.suppression import MonthCounts, is_small, suppress_months

YEAR_GROUPS = (7, 8, 9)
CATEGORIES = ("neglect", "bullying")
FOLLOW_UP = "referrals"
# The pages of one school year: each month, each term (whole months), the year.
TERMS = ((0, 4), (4, 7), (7, 12))

Vector = dict[tuple[int, str, str], Fraction]


def _unknown(month: int, kind: str, key: object) -> Vector:
    return {(month, kind, str(key)): Fraction(1)}


def _sum(vectors: list[Vector]) -> Vector:
    out: Vector = {}
    for vector in vectors:
        for k, v in vector.items():
            out[k] = out.get(k, Fraction(0)) + v
    return {k: v for k, v in out.items() if v}


Pivots = list[tuple[tuple[int, str, str], Vector]]


def _reduced(vector: Vector, pivots: Pivots) -> Vector:
    row = dict(vector)
    for col, pivot in pivots:
        if row.get(col):
            factor = row[col]
            for k, v in pivot.items():
                row[k] = row.get(k, Fraction(0)) - factor * v
            row = {k: v for k, v in row.items() if v}
    return row


def _in_span(rows: list[Vector], target: Vector) -> bool:
    """Whether `target` is a linear combination of `rows` (Gaussian elimination, exact)."""
    pivots: Pivots = []
    for source in rows:
        row = _reduced(source, pivots)
        if row:
            col = min(row)
            lead = row[col]
            pivots.append((col, {k: v / lead for k, v in row.items()}))
    return not _reduced(target, pivots)


counts = st.integers(min_value=0, max_value=9)


@st.composite
def school_years(draw: st.DrawFn) -> list[MonthCounts]:
    months = []
    for _ in range(12):
        groups: dict[object, int] = {yg: draw(counts) for yg in YEAR_GROUPS}
        total = sum(groups.values())
        # Categories of a concern: here each concern is in one, so they add up to the total.
        first = draw(st.integers(min_value=0, max_value=total))
        months.append(
            MonthCounts(
                total=total,
                breakdowns={
                    "year_groups": groups,
                    "categories": {CATEGORIES[0]: first, CATEGORIES[1]: total - first},
                },
                others={FOLLOW_UP: draw(st.integers(min_value=0, max_value=total))},
            )
        )
    return months


@settings(max_examples=60, deadline=None)
@given(school_years())
def test_no_hidden_figure_of_any_period_can_be_worked_out_from_all_the_pages(
    year: list[MonthCounts],
) -> None:
    # What a reader knows without any page: within a month, the categories add up to the year
    # groups (both are the month's concerns).
    known: list[Vector] = [
        _sum(
            [_unknown(m, "yg", yg) for yg in YEAR_GROUPS]
            + [{k: -v for k, v in _unknown(m, "cat", c).items()} for c in CATEGORIES]
        )
        for m in range(12)
    ]
    hidden: list[tuple[Vector, int]] = []
    spans = [(m, m + 1) for m in range(12)] + list(TERMS) + [(0, 12)]
    for first, end in spans:
        cells = suppress_months(
            year[first:end], breakdowns=("year_groups", "categories"), others=(FOLLOW_UP,)
        )
        out = cells.published
        months = range(first, end)
        figures: list[tuple[int, Vector]] = [
            (cells.total, _sum([_unknown(m, "yg", yg) for m in months for yg in YEAR_GROUPS])),
            (cells.others[FOLLOW_UP], _sum([_unknown(m, "other", FOLLOW_UP) for m in months])),
        ]
        figures += [
            (index, _sum([_unknown(m, "yg", yg) for yg in YEAR_GROUPS]))
            for m, index in zip(months, cells.months, strict=True)
        ]
        for kind, name in (("yg", "year_groups"), ("cat", "categories")):
            figures += [
                (index, _sum([_unknown(m, kind, key) for m in months]))
                for key, index in cells.breakdowns[name]
            ]
        for index, vector in figures:
            if out.hidden[index]:
                hidden.append((vector, out.values[index]))
            else:
                known.append(vector)
    for vector, value in hidden:
        if is_small(value):
            assert not _in_span(known, vector), (value, vector)


def test_januarys_own_figure_is_the_one_in_the_years_months_table() -> None:
    """January 10 on its own page; February's 3 hidden; so the year's total is hidden too."""
    year = [MonthCounts(total=n, breakdowns={"year_groups": {7: n}}) for n in (10, 3, 12)]
    january = suppress_months(year[:1], breakdowns=("year_groups",))
    whole = suppress_months(year, breakdowns=("year_groups",))
    assert january.published.shown(january.total) == 10
    assert whole.published.shown_all(whole.months) == [10, "c", 12]
    assert whole.published.shown(whole.total) == "c"
