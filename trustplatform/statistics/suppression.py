"""Statistical disclosure control for published counts (DfE practice): pure functions, no Django.

Primary suppression: a count of 1 to 5 is published as "c"; 0 is shown as 0 (DfE statistics
confidentiality practice; docs/rules.md, "Small numbers in statistics").

Secondary suppression: published totals must not give a suppressed count away by subtraction.
Every published figure is an *entry* of a `Sheet`; every "these parts add up to that total" that a
reader could use is a `Line`. Tables on one page that share a figure (the trust's concerns in 12
months is the total of the months table, of the year-group table and of the per-school column)
share the entry, so hiding it in one table hides it in all.

1. Each line with exactly one hidden entry gets a second one: the smallest non-zero visible part,
   else a zero part, else the line's total. Repeated until no line changes.
2. That rule alone does not stop every linear combination of lines (two-way tables can pin a cell
   down through rows and columns together), so the result is then checked exactly: a hidden entry
   is derivable when its unit vector lies in the row space of the lines restricted to hidden
   entries. While a primary cell is derivable, one more entry of a line through it is hidden.

A line may state a relation that is stronger than the truth (categories overlap, so their sum is at
least the total, not equal): suppressing against a stronger reader is safe against the real one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

SUPPRESSED: Final = "c"
SMALLEST_SUPPRESSED: Final = 1
LARGEST_SUPPRESSED: Final = 5

Shown = int | Literal["c"]

# Arithmetic modulo a Mersenne prime: exact for our 0/±1 matrices because every minor of a matrix
# with at most MAX_EXACT_LINES rows is below the prime (Hadamard's bound 40^20 < 2^127 - 1), so the
# rank over this field equals the rank over the rationals. More lines fall back to fractions.
_PRIME: Final = (1 << 127) - 1
MAX_EXACT_LINES: Final = 40


def is_small(value: int) -> bool:
    """A count that is never published (1 to 5)."""
    return SMALLEST_SUPPRESSED <= value <= LARGEST_SUPPRESSED


@dataclass(frozen=True)
class Line:
    """`parts` add up to `total` (indices of entries of a sheet)."""

    parts: tuple[int, ...]
    total: int

    @property
    def members(self) -> tuple[int, ...]:
        return (*self.parts, self.total)


@dataclass
class Sheet:
    """The figures of one page and the sums between them; `publish()` decides what is shown."""

    values: list[int] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    # Entries whose publication was decided on another sheet (True: hidden), kept as decided.
    settled: dict[int, bool] = field(default_factory=dict)

    def entry(self, value: int) -> int:
        if value < 0:
            raise ValueError("Counts are never negative.")
        self.values.append(value)
        return len(self.values) - 1

    def entries(self, values: Sequence[int]) -> list[int]:
        """Many entries at once (a column of a long table): their indices, in order."""
        if values and min(values) < 0:
            raise ValueError("Counts are never negative.")
        start = len(self.values)
        self.values.extend(values)
        return list(range(start, len(self.values)))

    def entry_settled(self, value: int, *, hidden: bool) -> int:
        """An entry published (or hidden) as another sheet decided: never hidden here when shown
        there, and, when hidden there, protected here as a small count is."""
        index = self.entry(value)
        self.settled[index] = hidden
        return index

    def line(self, parts: Iterable[int], total: int) -> None:
        parts = tuple(parts)
        if len(parts) >= 1:
            self.lines.append(Line(parts, total))

    def total_of(self, parts: Sequence[int]) -> int:
        """A new entry holding the sum of `parts`, with the line that says so."""
        total = self.entry(sum(self.values[i] for i in parts))
        self.line(parts, total)
        return total

    def publish(self) -> Published:
        return Published(
            values=list(self.values), hidden=suppress(self.values, self.lines, self.settled)
        )


@dataclass(frozen=True)
class Published:
    values: list[int]
    hidden: list[bool]

    def add(self, value: int, is_hidden: bool) -> int:
        """A figure whose publication a rule has already decided: its index."""
        self.values.append(value)
        self.hidden.append(is_hidden)
        return len(self.values) - 1

    def shown(self, index: int) -> Shown:
        return SUPPRESSED if self.hidden[index] else self.values[index]

    def shown_all(self, indices: Sequence[int]) -> list[Shown]:
        hidden, values = self.hidden, self.values
        return [SUPPRESSED if hidden[i] else values[i] for i in indices]


def primary(values: Sequence[int]) -> list[bool]:
    return [is_small(value) for value in values]


def suppress(
    values: Sequence[int], lines: Sequence[Line], settled: dict[int, bool] | None = None
) -> list[bool]:
    """Which entries to publish as "c": primary, then secondary until nothing can be derived.

    `settled` entries keep the publication another sheet gave them (see `Sheet.entry_settled`).
    """
    settled = settled or {}
    hidden = primary(values)
    for index, is_hidden in settled.items():
        hidden[index] = is_hidden
    if not any(hidden):
        return hidden
    protected = {i for i, small in enumerate(hidden) if small}
    fixed = frozenset(settled)
    while True:
        while _complete_lines(values, lines, hidden, fixed):
            pass
        exposed = sorted(derivable(lines, hidden) & protected)
        if not exposed:
            return hidden
        if not _hide_one_more(values, lines, hidden, exposed[0], fixed):
            return hidden  # nothing left to hide near it; cannot happen with a finite sheet


def _complete_lines(
    values: Sequence[int], lines: Sequence[Line], hidden: list[bool], fixed: frozenset[int]
) -> bool:
    changed = False
    for line in lines:
        if sum(hidden[i] for i in line.members) == 1:
            pick = _next_to_hide(values, line, hidden, fixed)
            if pick is not None:
                hidden[pick] = True
                changed = True
    return changed


def _next_to_hide(
    values: Sequence[int], line: Line, hidden: Sequence[bool], fixed: frozenset[int]
) -> int | None:
    """The smallest non-zero visible part (it hides most for least), else a zero, else the total.

    A zero alone beside a small cell would tell the reader the pair's sum is that small count, but
    not which cell holds it; non-zero cells are still preferred so the hidden sum is larger.
    """
    visible = [i for i in line.parts if not hidden[i] and i not in fixed]
    non_zero = [i for i in visible if values[i] > 0]
    if non_zero:
        return min(non_zero, key=lambda i: (values[i], i))
    if visible:
        return visible[0]
    return None if hidden[line.total] or line.total in fixed else line.total


def _hide_one_more(
    values: Sequence[int],
    lines: Sequence[Line],
    hidden: list[bool],
    exposed: int,
    fixed: frozenset[int],
) -> bool:
    for line in lines:
        if exposed in line.members:
            pick = _next_to_hide(values, line, hidden, fixed)
            if pick is not None:
                hidden[pick] = True
                return True
    # Every line through it is fully hidden, yet it is still derivable through other lines:
    # hide the smallest visible entry of any line that has a hidden one.
    for line in lines:
        if any(hidden[i] for i in line.members):
            pick = _next_to_hide(values, line, hidden, fixed)
            if pick is not None:
                hidden[pick] = True
                return True
    return False


def derivable(lines: Sequence[Line], hidden: Sequence[bool]) -> set[int]:
    """Hidden entries whose exact value follows from the published entries by linear algebra.

    Each line gives one equation in the hidden entries (parts +1, total -1; the visible entries
    are known constants). An unknown is determined exactly when its unit vector is in the row space
    of that system, i.e. when the reduced row echelon form has a row with that single pivot.
    """
    unknowns = sorted({i for line in lines for i in line.members if hidden[i]})
    if not unknowns:
        return set()
    column = {entry: c for c, entry in enumerate(unknowns)}
    rows: list[dict[int, int]] = []
    for line in lines:
        row: dict[int, int] = {}
        for i in line.parts:
            if hidden[i]:
                row[column[i]] = row.get(column[i], 0) + 1
        if hidden[line.total]:
            row[column[line.total]] = row.get(column[line.total], 0) - 1
        row = {c: v for c, v in row.items() if v}
        if row:
            rows.append(row)
    if len(rows) > MAX_EXACT_LINES:
        return {unknowns[c] for c in _single_pivots_fractions(rows)}
    return {unknowns[c] for c in _single_pivots_modular(rows)}


def _single_pivots_modular(rows: list[dict[int, int]]) -> set[int]:
    p = _PRIME
    work = [{c: v % p for c, v in row.items()} for row in rows]
    pivots: list[tuple[int, dict[int, int]]] = []
    for source in work:
        row = source
        # Reduce by the pivots found so far (sparse rows: only the columns they touch).
        for pivot_col, pivot_row in pivots:
            factor = row.get(pivot_col, 0)
            if factor:
                for c, v in pivot_row.items():
                    row[c] = (row.get(c, 0) - factor * v) % p
                row = {c: v for c, v in row.items() if v}
        if not row:
            continue
        pivot_col = min(row)
        inverse = pow(row[pivot_col], -1, p)
        row = {c: v * inverse % p for c, v in row.items()}
        # Back-substitute into earlier pivot rows to keep the form reduced.
        reduced: list[tuple[int, dict[int, int]]] = []
        for other_col, earlier in pivots:
            other = earlier
            factor = other.get(pivot_col, 0)
            if factor:
                for c, v in row.items():
                    other[c] = (other.get(c, 0) - factor * v) % p
                other = {c: v for c, v in other.items() if v}
            reduced.append((other_col, other))
        pivots = [*reduced, (pivot_col, row)]
    return {col for col, row in pivots if len(row) == 1}


def _single_pivots_fractions(rows: list[dict[int, int]]) -> set[int]:
    from fractions import Fraction  # noqa: PLC0415 - only for unusually large sheets

    pivots: list[tuple[int, dict[int, Fraction]]] = []
    for source in rows:
        row = {c: Fraction(v) for c, v in source.items()}
        for pivot_col, pivot_row in pivots:
            factor = row.get(pivot_col, Fraction(0))
            if factor:
                for c, v in pivot_row.items():
                    row[c] = row.get(c, Fraction(0)) - factor * v
                row = {c: v for c, v in row.items() if v}
        if not row:
            continue
        pivot_col = min(row)
        lead = row[pivot_col]
        row = {c: v / lead for c, v in row.items()}
        reduced: list[tuple[int, dict[int, Fraction]]] = []
        for other_col, earlier in pivots:
            other = earlier
            factor = other.get(pivot_col, Fraction(0))
            if factor:
                for c, v in row.items():
                    other[c] = other.get(c, Fraction(0)) - factor * v
                other = {c: v for c, v in other.items() if v}
            reduced.append((other_col, other))
        pivots = [*reduced, (pivot_col, row)]
    return {col for col, row in pivots if len(row) == 1}


# --- tables ------------------------------------------------------------------------------------


def suppress_list(values: Sequence[int]) -> tuple[list[Shown], Shown]:
    """A one-way table with its total: (cells, total) as published."""
    sheet = Sheet()
    cells = [sheet.entry(v) for v in values]
    total = sheet.total_of(cells)
    out = sheet.publish()
    return [out.shown(i) for i in cells], out.shown(total)


@dataclass(frozen=True)
class TwoWay:
    cells: list[list[Shown]]
    row_totals: list[Shown]
    column_totals: list[Shown]
    total: Shown


def suppress_two_way(rows: Sequence[Sequence[int]]) -> TwoWay:
    """A two-way table with row totals, column totals and the grand total, as published."""
    sheet = Sheet()
    grid = [[sheet.entry(v) for v in row] for row in rows]
    width = len(grid[0]) if grid else 0
    row_totals = [sheet.total_of(row) for row in grid]
    column_totals = [sheet.total_of([row[j] for row in grid]) for j in range(width)]
    total = sheet.total_of(row_totals)
    sheet.line(column_totals, total)
    out = sheet.publish()
    return TwoWay(
        cells=[[out.shown(i) for i in row] for row in grid],
        row_totals=[out.shown(i) for i in row_totals],
        column_totals=[out.shown(i) for i in column_totals],
        total=out.shown(total),
    )


# --- across periods ----------------------------------------------------------------------------
# One rule for every period (docs/rules.md, "Small numbers in statistics"): each figure is
# decided month by month, each month on its own sheet (that month's page); a figure over several
# months (a term, a school year) is their sum, published only when that figure is published for
# every one of its months. Everything published is then a month's published figure or a sum of
# them, so all the pages together tell no more than the month pages, each of which is safe on
# its own: no hidden figure of any period can be worked out by subtraction across pages.


@dataclass(frozen=True)
class MonthCounts:
    """One month's counts: `breakdowns` (name -> key -> count) each add up to `total` (or more:
    categories overlap); `others` (follow-ups) are figures with no sum to a total."""

    total: int
    breakdowns: dict[str, dict[object, int]] = field(default_factory=dict)
    others: dict[str, int] = field(default_factory=dict)
    # Figures ("total" or a name of `others`) hidden whatever their value: a trust's figure
    # whose schools' own pages hide exactly one school's part of it.
    hide: frozenset[str] = frozenset()
    # Breakdown cells (name, key) hidden whatever their value, and protected as a small count
    # is: a trust's year-group or category cell that exactly one school's month page hides.
    hide_parts: frozenset[tuple[str, object]] = frozenset()


@dataclass(frozen=True)
class PeriodCells:
    """Entries of a period's `Published`: its total, each month's total, each breakdown's cells
    (key, entry) and each other figure's entry."""

    published: Published
    total: int
    months: list[int]
    breakdowns: dict[str, list[tuple[object, int]]]
    others: dict[str, int]


def _month_hidden(
    month: MonthCounts,
) -> tuple[bool, dict[str, dict[object, bool]], dict[str, bool]]:
    # A month's total and its follow-ups are hidden exactly when small (or when `hide` says), so
    # that the trust's per-school table can tell, from a school's monthly counts alone, which
    # of them that school's own pages show; its breakdown cells take any further hiding (and
    # those in `hide_parts` are hidden from the start).
    sheet = Sheet()
    grand = sheet.entry_settled(month.total, hidden=is_small(month.total) or "total" in month.hide)
    cells: dict[str, dict[object, int]] = {}
    for name, counts in month.breakdowns.items():
        cells[name] = {
            key: sheet.entry_settled(n, hidden=True)
            if (name, key) in month.hide_parts
            else sheet.entry(n)
            for key, n in counts.items()
        }
        sheet.line(cells[name].values(), grand)
    others = {
        name: sheet.entry_settled(n, hidden=is_small(n) or name in month.hide)
        for name, n in month.others.items()
    }
    out = sheet.publish()
    return (
        out.hidden[grand],
        {name: {k: out.hidden[i] for k, i in row.items()} for name, row in cells.items()},
        {name: out.hidden[i] for name, i in others.items()},
    )


def month_hidden_parts(month: MonthCounts) -> frozenset[tuple[str, object]]:
    """The breakdown cells (name, key) that the month's own page hides."""
    _, parts, _ = _month_hidden(month)
    return frozenset(
        (name, key) for name, row in parts.items() for key, hidden in row.items() if hidden
    )


def suppress_months(
    months: Sequence[MonthCounts], *, breakdowns: Sequence[str] = (), others: Sequence[str] = ()
) -> PeriodCells:
    """A period's figures as published: each month decided on its own sheet, every figure over
    the period the sum of its months, hidden when any of its months' figures is."""
    decided = [_month_hidden(month) for month in months]
    out = Published(values=[], hidden=[])
    add = out.add

    total = add(sum(m.total for m in months), any(d[0] for d in decided))
    month_cells = [add(m.total, d[0]) for m, d in zip(months, decided, strict=True)]
    breakdown_cells: dict[str, list[tuple[object, int]]] = {}
    for name in breakdowns:
        keys: dict[object, None] = {}
        for month in months:
            keys.update(dict.fromkeys(month.breakdowns.get(name, {})))
        breakdown_cells[name] = [
            (
                key,
                add(
                    sum(m.breakdowns.get(name, {}).get(key, 0) for m in months),
                    any(d[1].get(name, {}).get(key, False) for d in decided),
                ),
            )
            for key in keys
        ]
    other_cells = {
        name: add(
            sum(m.others.get(name, 0) for m in months),
            any(d[2].get(name, False) for d in decided),
        )
        for name in others
    }
    return PeriodCells(
        published=out,
        total=total,
        months=month_cells,
        breakdowns=breakdown_cells,
        others=other_cells,
    )
