"""The fixed periods the statistics can be read for: a calendar month, a term, an academic year.

Never a range of the reader's choosing: with custom dates, two overlapping ranges a day apart
would give away a suppressed count by subtraction. The rollup is by month, so every period is a
set of whole months. A term is the months it mostly covers: each month of the school year goes to
the term that holds most of its days (a month no term touches, such as August, goes to the term
before it), so the three terms of a year are exactly its twelve months, with no overlap.

A period has a key, which is what the page's select sends: "month:2026-10", "term:2026-autumn"
(the autumn term of the school year 2026/27), "year:2025-26". Pure functions, no queries: the
term dates are passed in (`TermSpan`): a trust's schools' dates for the trust lead's pages, one
school's own for that school's page (`calendar` names whose they are, for the period's note).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from trustplatform.schooldays.models import academic_year_label, academic_year_of

TERM_NAMES: Final = ("autumn", "spring", "summer")
TERM_LABELS: Final = {"autumn": "Autumn term", "spring": "Spring term", "summer": "Summer term"}
# Earlier than this, no school was on the product: a key before it is refused, not read.
FIRST_YEAR: Final = 2000
MONTH_CHOICES: Final = 24
YEAR_CHOICES: Final = 3
# Whose term dates a term follows, as the period's note says it.
TRUST_CALENDAR: Final = "the trust's"
SCHOOL_CALENDAR: Final = "the school's"

_MONTH = re.compile(r"month:(\d{4})-(\d{2})")
_TERM = re.compile(r"term:(\d{4})-(autumn|spring|summer)")
_YEAR = re.compile(r"year:(\d{4})-(\d{2})")


class PeriodError(ValueError):
    """A period key that is not one of the fixed periods; the message is for the reader."""


@dataclass(frozen=True)
class TermSpan:
    """The dates of one term in the calendars of `schools` schools (one school's, by default)."""

    academic_year: int
    name: str
    first_day: dt.date
    last_day: dt.date
    schools: int = 1


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    months: tuple[dt.date, ...]  # first days, in order, none after the current month
    note: str = ""

    @property
    def span(self) -> str:
        if not self.months:
            return "no months yet"
        first, last = self.months[0], self.months[-1]
        if first == last:
            return f"{first:%B %Y}"
        return f"{first:%B %Y} to {last:%B %Y}"


def _add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def _months_of_year(year: int) -> list[dt.date]:
    return [_add_months(dt.date(year, 9, 1), n) for n in range(12)]


def _month_end(month: dt.date) -> dt.date:
    return _add_months(month, 1) - dt.timedelta(days=1)


def _standard_terms(year: int) -> dict[str, tuple[dt.date, dt.date]]:
    """September to December, January to March (Easter), April to August."""
    return {
        "autumn": (dt.date(year, 9, 1), dt.date(year, 12, 31)),
        "spring": (dt.date(year + 1, 1, 1), dt.date(year + 1, 3, 31)),
        "summer": (dt.date(year + 1, 4, 1), dt.date(year + 1, 8, 31)),
    }


def trust_term_dates(
    year: int, dates: Iterable[TermSpan]
) -> tuple[dict[str, tuple[dt.date, dt.date]], bool]:
    """The trust's dates of each term of `year`: the dates most of its schools use.

    Returns the dates and whether they are the trust's own (False: the standard three terms,
    because no school of the trust has all three terms of that year in its calendar).
    """
    votes: dict[str, Counter[tuple[dt.date, dt.date]]] = {name: Counter() for name in TERM_NAMES}
    for term in dates:
        if term.academic_year == year and term.name in votes:
            votes[term.name][(term.first_day, term.last_day)] += term.schools
    if not all(votes.values()):
        return _standard_terms(year), False
    # Most schools' dates; among equally common ones, the earliest (a stable choice).
    chosen = {
        name: min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        for name, counter in votes.items()
    }
    return chosen, True


def term_months(year: int, dates: Iterable[TermSpan]) -> tuple[dict[str, list[dt.date]], bool]:
    """Each term's whole months: a month goes to the term holding most of its days."""
    terms, own = trust_term_dates(year, dates)
    result: dict[str, list[dt.date]] = {name: [] for name in TERM_NAMES}
    previous = "autumn"
    for month in _months_of_year(year):
        end = _month_end(month)
        overlap = {
            name: max(0, (min(end, last) - max(month, first)).days + 1)
            for name, (first, last) in terms.items()
        }
        best = max(TERM_NAMES, key=lambda name: overlap[name])
        name = best if overlap[best] > 0 else previous
        # Terms stay in their order even with odd dates: a month never goes back a term.
        if TERM_NAMES.index(name) < TERM_NAMES.index(previous):
            name = previous
        result[name].append(month)
        previous = name
    return result, own


def _up_to(months: Iterable[dt.date], today: dt.date) -> tuple[dt.date, ...]:
    current = today.replace(day=1)
    return tuple(m for m in months if m <= current)


def _month_names(months: Sequence[dt.date]) -> str:
    if not months:
        return "no whole month"
    if len(months) == 1:
        return f"{months[0]:%B %Y}"
    return f"{months[0]:%B %Y} to {months[-1]:%B %Y}"


def month_period(month: dt.date, today: dt.date) -> Period:
    return Period(f"month:{month:%Y-%m}", f"{month:%B %Y}", _up_to([month], today))


def term_period(
    year: int,
    name: str,
    today: dt.date,
    dates: Sequence[TermSpan],
    *,
    calendar: str = TRUST_CALENDAR,
) -> Period:
    return _term_period(year, name, today, term_months(year, dates), calendar=calendar)


def _term_period(
    year: int,
    name: str,
    today: dt.date,
    year_terms: tuple[dict[str, list[dt.date]], bool],
    *,
    calendar: str,
) -> Period:
    """`term_period` with the year's `term_months` already worked out."""
    months, own = year_terms
    label = f"{TERM_LABELS[name]} {academic_year_label(year)}"
    whose = f"{calendar} term dates" if own else "the standard terms (no term dates set)"
    note = (
        f"Counted in whole months: {label} is {_month_names(months[name])}, by {whose}; "
        "each month goes to the term that holds most of its days."
    )
    return Period(f"term:{year}-{name}", label, _up_to(months[name], today), note)


def year_period(year: int, today: dt.date) -> Period:
    return Period(
        f"year:{year}-{(year + 1) % 100:02d}",
        f"School year {academic_year_label(year)}",
        _up_to(_months_of_year(year), today),
        "1 September to 31 August.",
    )


def default_period(today: dt.date) -> Period:
    """The school year so far."""
    return year_period(academic_year_of(today), today)


def parse_period(
    key: str, *, today: dt.date, dates: Sequence[TermSpan] = (), calendar: str = TRUST_CALENDAR
) -> Period:
    """The period a key names; `PeriodError` for anything else, or for a period not yet begun."""
    key = key.strip()
    match = _MONTH.fullmatch(key) or _TERM.fullmatch(key) or _YEAR.fullmatch(key)
    if match is None:
        raise PeriodError("That is not a period the statistics can show. Choose one from the list.")
    year = int(match[1])
    if year < FIRST_YEAR:
        raise PeriodError("There are no figures that far back. Choose a period from the list.")
    if match.re is _MONTH:
        month = int(match[2])
        if not 1 <= month <= 12:
            raise PeriodError("That month does not exist. Choose a period from the list.")
        period = month_period(dt.date(year, month, 1), today)
    elif match.re is _TERM:
        period = term_period(year, match[2], today, dates, calendar=calendar)
    else:
        if int(match[2]) != (year + 1) % 100:
            raise PeriodError("A school year runs from one year into the next, as in 2025-26.")
        period = year_period(year, today)
    if not period.months:
        raise PeriodError("That period has not begun yet. Choose a period from the list.")
    return period


def period_choices(
    *, today: dt.date, dates: Sequence[TermSpan] = (), calendar: str = TRUST_CALENDAR
) -> list[tuple[str, list[Period]]]:
    """The select's groups: school years, terms and months, newest first, none in the future."""
    this_year = academic_year_of(today)
    years = [year_period(this_year - n, today) for n in range(YEAR_CHOICES)]
    # Each year's terms from one reading of the dates, not one per term.
    year_terms = {
        year: term_months(year, dates)
        for year in range(this_year - YEAR_CHOICES + 1, this_year + 1)
    }
    terms = [
        _term_period(year, name, today, year_terms[year], calendar=calendar)
        for year in sorted(year_terms, reverse=True)
        for name in reversed(TERM_NAMES)
    ]
    current = today.replace(day=1)
    months = [month_period(_add_months(current, -n), today) for n in range(MONTH_CHOICES)]
    return [
        ("School years", years),
        ("Terms", [t for t in terms if t.months]),
        ("Months", months),
    ]


def periods_overlap(first: Period, second: Period) -> bool:
    """Whether two periods share a month (they cannot then be compared: see `trust_comparison`)."""
    return bool(set(first.months) & set(second.months))


def comparison_problem(first: Period, second: Period) -> str:
    """Why `second` cannot be compared with `first`, for the reader; empty when it can."""
    if not periods_overlap(first, second):
        return ""
    return (
        f"{second.label} shares months with {first.label}, so the two cannot be compared. "
        "Choose a period with no month in common, such as the one before."
    )


def previous_period(period: Period, *, today: dt.date, dates: Sequence[TermSpan] = ()) -> Period:
    """The period of the same kind just before (the term before a term, and so on)."""
    kind, _, rest = period.key.partition(":")
    if kind == "month":
        return month_period(_add_months(period.months[0], -1), today)
    if kind == "year":
        return year_period(int(rest[:4]) - 1, today)
    year, name = int(rest[:4]), rest[5:]
    index = TERM_NAMES.index(name)
    if index == 0:
        return term_period(year - 1, TERM_NAMES[-1], today, dates)
    return term_period(year, TERM_NAMES[index - 1], today, dates)
