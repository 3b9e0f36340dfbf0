"""Reads of the school calendar for its pages. Dates only: no permission turns on them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from tenants.models import School, Trust
from trustplatform.schooldays.calendar import calendar_of
from trustplatform.schooldays.models import (
    ClosureDay,
    Term,
    academic_year_label,
    academic_year_of,
)


@dataclass(frozen=True)
class YearOfTerms:
    academic_year: int
    terms: list[Term]

    @property
    def label(self) -> str:
        return academic_year_label(self.academic_year)


def terms_by_year(*, school: School) -> list[YearOfTerms]:
    years: dict[int, list[Term]] = {}
    for term in Term.objects.filter(school=school).order_by("first_day"):
        years.setdefault(term.academic_year, []).append(term)
    return [YearOfTerms(year, terms) for year, terms in sorted(years.items(), reverse=True)]


def closure_days(*, school: School) -> QuerySet[ClosureDay]:
    return ClosureDay.objects.filter(school=school).order_by("-day")


def term_get(*, school: School, term_id: int) -> Term:
    term = Term.objects.filter(school=school, pk=term_id).first()
    if term is None:
        raise Http404
    return term


def closure_day_get(*, school: School, closure_id: int) -> ClosureDay:
    closure = ClosureDay.objects.filter(school=school, pk=closure_id).first()
    if closure is None:
        raise Http404
    return closure


def missing_term_dates_notice(*, school: School, today: dt.date) -> str:
    """What the DSL's pages say while deadlines fall back to working days; empty otherwise."""
    calendar = calendar_of(school)
    if calendar.has_term_dates(today):
        return ""
    return (
        f"No term dates are set for {academic_year_label(academic_year_of(today))}: deadlines "
        "count weekdays other than bank holidays, so they may fall in a school holiday."
    )


def trust_terms_of_year(*, trust: Trust, academic_year: int) -> list[tuple[School, list[Term]]]:
    """Each school of the trust with its terms of one school year (two queries)."""
    schools = list(School.objects.filter(trust=trust).order_by("name"))
    terms: dict[int, list[Term]] = {school.pk: [] for school in schools}
    for term in Term.objects.filter(school__trust=trust, academic_year=academic_year).order_by(
        "first_day"
    ):
        terms[term.school_id].append(term)
    return [(school, terms[school.pk]) for school in schools]
