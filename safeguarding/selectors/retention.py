"""Reads of retention: the review queue, a record's retention, holds and destruction
certificates (docs/rules.md, "Retention"). For the DSL, deputies and headteacher only: the views
ask `Capability.MANAGE_RETENTION` first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from safeguarding.models import Destruction, LegalHold, Pupil, RetentionReview

# IRMS Information Management Toolkit for Schools: date of birth + 25 years, then review.
CHILD_PROTECTION_YEARS = 25


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February: the 28th of a year without one
        return day.replace(year=day.year + years, day=28)


def chronology_tombstones() -> dict[int, int]:
    """Chronology entries lawfully destroyed in this school: entry id -> certificate id."""
    return Destruction.chronology_entry_ids()


@dataclass(frozen=True)
class QueueRow:
    pupil: Pupil
    due_on: dt.date
    hold: LegalHold | None
    destruction: Destruction | None


def retention_queue(*, today: dt.date | None = None) -> list[QueueRow]:
    """Records whose review is due (retention ended, or the date set at the last review), with
    any standing hold and any open proposal; destroyed records are not listed."""
    today = today or timezone.localdate()
    destroyed = set(
        Destruction.objects.filter(status=Destruction.Status.DESTROYED).values_list(
            "pupil_id", flat=True
        )
    )
    latest_review: dict[int, dt.date] = {}
    for pupil_id, next_on in RetentionReview.objects.order_by("reviewed_at", "pk").values_list(
        "pupil_id", "next_review_on"
    ):
        latest_review[pupil_id] = next_on
    # Only pupils born 25 years ago or more can be due: the rest are not read at all.
    born_by = add_years(today, -CHILD_PROTECTION_YEARS)
    candidates = Pupil.objects.filter(date_of_birth__lte=born_by).exclude(pk__in=destroyed)
    holds = {h.pupil_id: h for h in LegalHold.objects.filter(lifted_at__isnull=True)}
    open_destructions = {
        d.pupil_id: d
        for d in Destruction.objects.filter(
            status__in=[Destruction.Status.PROPOSED, Destruction.Status.APPROVED]
        )
    }
    rows = []
    for pupil in candidates.order_by("date_of_birth", "pk"):
        due_on = latest_review.get(pupil.pk, add_years(pupil.date_of_birth, CHILD_PROTECTION_YEARS))
        if due_on <= today:
            rows.append(
                QueueRow(pupil, due_on, holds.get(pupil.pk), open_destructions.get(pupil.pk))
            )
    return rows


def destruction_certificates() -> list[Destruction]:
    return list(
        Destruction.objects.filter(status=Destruction.Status.DESTROYED).order_by("-destroyed_at")
    )


def legal_holds_of(pupil_id: int) -> list[LegalHold]:
    return list(LegalHold.objects.filter(pupil_id=pupil_id).order_by("-placed_at", "-pk"))


def reviews_of(pupil_id: int) -> list[RetentionReview]:
    return list(RetentionReview.objects.filter(pupil_id=pupil_id).order_by("-reviewed_at", "-pk"))


def destructions_of(pupil_id: int) -> list[Destruction]:
    return list(Destruction.objects.filter(pupil_id=pupil_id).order_by("-proposed_at", "-pk"))
