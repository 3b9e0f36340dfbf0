"""Writes of the school calendar: terms, closure days, the start of the school day. Audited.

Deadlines are counted from these dates whenever they are asked for (trustplatform/schooldays/
calendar.py), so a change here moves the school's open deadlines at once, and no other school's.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from tenants.models import School, Trust
from trustplatform.audit.models import AuditAction
from trustplatform.audit.services import audit_record
from trustplatform.schooldays.models import ClosureDay, Term, academic_year_label

if TYPE_CHECKING:
    from django.http import HttpRequest

    from trustplatform.accounts.models import User

# Schools open between these times; anything else is a typing mistake (20:30 for 08:30).
EARLIEST_DAY_START = dt.time(6, 0)
LATEST_DAY_START = dt.time(11, 0)


@dataclass(frozen=True)
class TermDates:
    """One term's dates as entered, before they are checked."""

    name: Term.Name
    first_day: dt.date
    last_day: dt.date
    half_term_first_day: dt.date | None = None
    half_term_last_day: dt.date | None = None

    def audit_data(self) -> dict[str, object]:
        return {
            "term": str(self.name),
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "half_term_first_day": _iso(self.half_term_first_day),
            "half_term_last_day": _iso(self.half_term_last_day),
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _check_term(academic_year: int, dates: TermDates) -> dict[str, str]:
    errors: dict[str, str] = {}
    year_start, year_end = dt.date(academic_year, 9, 1), dt.date(academic_year + 1, 8, 31)
    label = academic_year_label(academic_year)
    if not (year_start <= dates.first_day <= year_end and year_start <= dates.last_day <= year_end):
        errors["first_day"] = (
            f"The {dates.name.label.lower()} must fall within the school year {label} "
            f"(1 September {academic_year} to 31 August {academic_year + 1})."
        )
    elif dates.last_day < dates.first_day:
        errors["last_day"] = "The last day of term comes before its first day."
    half = (dates.half_term_first_day, dates.half_term_last_day)
    if (half[0] is None) != (half[1] is None):
        errors["half_term_first_day"] = "Give both the first and the last day of the half-term."
    elif half[0] is not None and half[1] is not None:
        if half[1] < half[0]:
            errors["half_term_last_day"] = "The half-term ends before it begins."
        elif not (dates.first_day < half[0] and half[1] < dates.last_day):
            errors["half_term_first_day"] = (
                "The half-term must fall inside the term, after its first day and before its "
                "last day."
            )
    return errors


def _check_terms(academic_year: int, all_dates: Sequence[TermDates]) -> None:
    """Each term valid, and no two terms of the year overlapping."""
    errors: dict[str, str] = {}
    for dates in all_dates:
        errors.update(_check_term(academic_year, dates))
    ordered = sorted(all_dates, key=lambda d: d.first_day)
    for earlier, later in itertools.pairwise(ordered):
        if later.first_day <= earlier.last_day:
            errors.setdefault(
                "first_day",
                f"The {later.name.label.lower()} overlaps the {earlier.name.label.lower()}.",
            )
    if len({d.name for d in all_dates}) != len(all_dates):
        errors.setdefault("name", "Each term appears once in a school year.")
    if errors:
        raise ValidationError(errors)


def _year_terms(school: School, academic_year: int) -> dict[str, TermDates]:
    return {
        term.name: TermDates(
            name=Term.Name(term.name),
            first_day=term.first_day,
            last_day=term.last_day,
            half_term_first_day=term.half_term_first_day,
            half_term_last_day=term.half_term_last_day,
        )
        for term in Term.objects.filter(school=school, academic_year=academic_year)
    }


def _write_term(school: School, academic_year: int, dates: TermDates) -> Term:
    term, _ = Term.objects.update_or_create(
        school=school,
        academic_year=academic_year,
        name=dates.name,
        defaults={
            "first_day": dates.first_day,
            "last_day": dates.last_day,
            "half_term_first_day": dates.half_term_first_day,
            "half_term_last_day": dates.half_term_last_day,
        },
    )
    return term


@transaction.atomic
def term_set(
    *,
    actor: User | None,
    school: School,
    academic_year: int,
    dates: TermDates,
    request: HttpRequest | None = None,
) -> Term:
    """Adds or replaces one term of a school year, checked against the year's other terms."""
    # One school's calendar changes one at a time: two editors cannot both pass the overlap check.
    School.objects.select_for_update().filter(pk=school.pk).first()
    others = _year_terms(school, academic_year)
    others[dates.name] = dates
    _check_terms(academic_year, list(others.values()))
    term = _write_term(school, academic_year, dates)
    audit_record(
        action=AuditAction.TERM_DATES_CHANGED,
        actor=actor,
        school=school,
        target_type="term",
        target_id=term.pk,
        data={"academic_year": academic_year, **dates.audit_data()},
        request=request,
    )
    return term


@transaction.atomic
def term_remove(*, actor: User | None, term: Term, request: HttpRequest | None = None) -> None:
    school, data = term.school, {"academic_year": term.academic_year, "term": term.name}
    term_id = term.pk
    term.delete()
    audit_record(
        action=AuditAction.TERM_DATES_CHANGED,
        actor=actor,
        school=school,
        target_type="term",
        target_id=term_id,
        data={**data, "removed": True},
        request=request,
    )


@transaction.atomic
def trust_terms_set(
    *,
    actor: User | None,
    trust: Trust,
    academic_year: int,
    terms: Sequence[TermDates],
    request: HttpRequest | None = None,
) -> int:
    """Gives every school of the trust the same terms for one year; each may then differ.

    Replaces that year's terms at each school (others years stay). Returns the number of schools.
    """
    if not terms:
        raise ValidationError({"name": "Give the dates of at least one term."})
    _check_terms(academic_year, terms)
    schools = list(School.objects.select_for_update().filter(trust=trust).order_by("pk"))
    for school in schools:
        Term.objects.filter(school=school, academic_year=academic_year).delete()
        for dates in terms:
            _write_term(school, academic_year, dates)
    audit_record(
        action=AuditAction.TERM_DATES_CHANGED,
        actor=actor,
        trust=trust,
        target_type="trust",
        target_id=trust.pk,
        data={
            "academic_year": academic_year,
            "schools": len(schools),
            "terms": [dates.audit_data() for dates in terms],
        },
        request=request,
    )
    return len(schools)


@transaction.atomic
def closure_day_add(
    *,
    actor: User | None,
    school: School,
    day: dt.date,
    reason: str,
    request: HttpRequest | None = None,
) -> ClosureDay:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the school is closed (for example INSET day)."})
    if ClosureDay.objects.filter(school=school, day=day).exists():
        raise ValidationError({"day": f"{day:%d %B %Y} is already a closure day."})
    closure = ClosureDay.objects.create(school=school, day=day, reason=reason)
    audit_record(
        action=AuditAction.CLOSURE_DAY_CHANGED,
        actor=actor,
        school=school,
        target_type="closure_day",
        target_id=closure.pk,
        data={"day": day.isoformat()},
        request=request,
    )
    return closure


@transaction.atomic
def closure_day_remove(
    *, actor: User | None, closure: ClosureDay, request: HttpRequest | None = None
) -> None:
    school, day, closure_id = closure.school, closure.day, closure.pk
    closure.delete()
    audit_record(
        action=AuditAction.CLOSURE_DAY_CHANGED,
        actor=actor,
        school=school,
        target_type="closure_day",
        target_id=closure_id,
        data={"day": day.isoformat(), "removed": True},
        request=request,
    )


@transaction.atomic
def day_start_set(
    *, actor: User | None, school: School, starts_at: dt.time, request: HttpRequest | None = None
) -> School:
    if not EARLIEST_DAY_START <= starts_at <= LATEST_DAY_START:
        raise ValidationError(
            {"starts_at": "The school day starts between 06:00 and 11:00; check the time."}
        )
    old = school.day_starts_at
    school.day_starts_at = starts_at
    # save(), not update(): the routing middleware's cache of schools hears of the change.
    school.save(update_fields=["day_starts_at"])
    audit_record(
        action=AuditAction.SCHOOL_DAY_START_CHANGED,
        actor=actor,
        school=school,
        target_type="school",
        target_id=school.pk,
        data={"old": old.strftime("%H:%M"), "new": starts_at.strftime("%H:%M")},
        request=request,
    )
    return school
