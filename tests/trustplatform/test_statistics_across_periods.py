"""One suppression rule for every period: whatever the monthly counts, no hidden figure of any
month, term or school year can be worked out from the published figures of all the pages
together (docs/rules.md, "Small numbers in statistics")."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from trustplatform.statistics.suppression import (
    SUPPRESSED,
    MonthCounts,
    Shown,
    is_small,
    month_hidden_parts,
    suppress_months,
)

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


# --- several schools and their trust -----------------------------------------------------------


def _trust_month(schools: list[list[MonthCounts]], m: int) -> MonthCounts:
    """The trust's month as its pages take it: the sum of its schools' months, with a figure or
    a cell hidden whatever its value when exactly one school's own month page hides its part."""
    months = [school[m] for school in schools]
    hides: Counter[str] = Counter()
    parts: Counter[tuple[str, object]] = Counter()
    for month in months:
        hides.update(["total"] * is_small(month.total))
        hides.update(name for name, n in month.others.items() if is_small(n))
        parts.update(month_hidden_parts(month))
    return MonthCounts(
        total=sum(month.total for month in months),
        breakdowns={
            name: {
                key: sum(month.breakdowns[name].get(key, 0) for month in months)
                for key in months[0].breakdowns[name]
            }
            for name in ("year_groups", "categories")
        },
        others={FOLLOW_UP: sum(month.others[FOLLOW_UP] for month in months)},
        hide=frozenset(name for name, n in hides.items() if n == 1),
        hide_parts=frozenset(part for part, n in parts.items() if n == 1),
    )


def _published(year: list[MonthCounts], first: int, end: int) -> dict[tuple[str, object], Shown]:
    """Every figure of a page over months first..end: (kind, key) -> as shown."""
    cells = suppress_months(
        year[first:end], breakdowns=("year_groups", "categories"), others=(FOLLOW_UP,)
    )
    out = cells.published
    figures: dict[tuple[str, object], int] = {
        ("total", None): cells.total,
        ("other", FOLLOW_UP): cells.others[FOLLOW_UP],
    }
    for name in ("year_groups", "categories"):
        figures |= {(name, key): index for key, index in cells.breakdowns[name]}
    return {figure: out.shown(index) for figure, index in figures.items()}


def _value(month: MonthCounts, figure: tuple[str, object]) -> int:
    kind, key = figure
    if kind == "total":
        return month.total
    if kind == "other":
        return month.others[FOLLOW_UP]
    return month.breakdowns[kind][key]


@settings(max_examples=60, deadline=None)
@given(st.lists(school_years(), min_size=2, max_size=4))
def test_no_schools_hidden_figure_is_the_trusts_less_the_other_schools(
    schools: list[list[MonthCounts]],
) -> None:
    """On every month, term and year page: a figure one school hides (1 to 5) is never the
    trust's published figure less every other school's published figure."""
    trust = [_trust_month(schools, m) for m in range(12)]
    spans = [(m, m + 1) for m in range(12)] + list(TERMS) + [(0, 12)]
    for first, end in spans:
        trusts = _published(trust, first, end)
        pages = [_published(year, first, end) for year in schools]
        for s, page in enumerate(pages):
            others = [other for o, other in enumerate(pages) if o != s]
            for figure, shown in page.items():
                value = sum(_value(month, figure) for month in schools[s][first:end])
                if shown != SUPPRESSED or not is_small(value):
                    continue
                rest = [other.get(figure, 0) for other in others]
                assert SUPPRESSED in (trusts.get(figure), *rest), (s, first, end, figure, value)
