"""Reads of retention: the review queue, a record's retention, holds and destruction
certificates (docs/rules.md, "Retention"). For the DSL, deputies and headteacher only: the views
ask `Capability.MANAGE_RETENTION` first; allegation records only for those who handle them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from safeguarding.models import Allegation, Destruction, LegalHold, Pupil, RetentionReview
from safeguarding.permissions import Reader
from safeguarding.selectors.allegations import allegation_get_for_reader
from safeguarding.selectors.concerns import concerns_visible

# IRMS Information Management Toolkit for Schools: date of birth + 25 years, then review.
CHILD_PROTECTION_YEARS = 25
# KCSIE Part 4: an allegation about a member of staff is kept until their normal pension age or
# 10 years from the allegation, whichever is longer.
ALLEGATION_MIN_YEARS = 10


class _Recorded:
    def __repr__(self) -> str:
        return "RECORDED"


# "The date of birth the DSL recorded on the allegation", as opposed to None ("not known").
RECORDED = _Recorded()


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February: the 28th of a year without one
        return day.replace(year=day.year + years, day=28)


def allegation_adult_date_of_birth(allegation: Allegation) -> dt.date | None:
    """The adult's date of birth as the allegation's latest version records it, if at all."""
    latest = allegation.versions.filter(superseded_by__isnull=True).first()
    return latest.adult_date_of_birth if latest else None


def allegation_retention_until(
    allegation: Allegation, *, adult_date_of_birth: dt.date | _Recorded | None = RECORDED
) -> tuple[dt.date, str]:
    """The end of an allegation record's retention and how it was worked out: the later of the
    adult's pension age (STAFF_PENSION_AGE) and 10 years from the allegation; 10 years when
    the adult's date of birth is not known, which the explanation says. The date of birth is
    the one recorded on the allegation unless given."""
    if isinstance(adult_date_of_birth, _Recorded):
        adult_date_of_birth = allegation_adult_date_of_birth(allegation)
    alleged = timezone.localdate(allegation.created_at)
    ten_years = add_years(alleged, ALLEGATION_MIN_YEARS)
    if adult_date_of_birth is None:
        return ten_years, (
            "10 years from the allegation: the adult's date of birth is not recorded, so their "
            "pension age cannot be worked out"
        )
    pension = add_years(adult_date_of_birth, settings.STAFF_PENSION_AGE)
    if pension > ten_years:
        return pension, f"the adult's normal pension age ({settings.STAFF_PENSION_AGE})"
    return ten_years, "10 years from the allegation (later than the adult's pension age)"


def review_due_on(*, pupil: Pupil | None = None, allegation: Allegation | None = None) -> dt.date:
    """When a record is next reviewed: its latest review's date, else the end of retention."""
    reviews = RetentionReview.objects.filter(pupil=pupil, allegation=allegation)
    latest = reviews.order_by("-reviewed_at", "-pk").first()
    if latest is not None:
        return latest.next_review_on
    if pupil is not None:
        return add_years(pupil.date_of_birth, CHILD_PROTECTION_YEARS)
    if allegation is None:
        raise TypeError("a review is of one pupil's record or one allegation record")
    return allegation_retention_until(allegation)[0]


def allegation_for_retention(*, reader: Reader, concern_id: int) -> Allegation | None:
    """The allegation, when this reader handles it (never the adult it is about)."""
    return allegation_get_for_reader(reader=reader, concern_id=concern_id)


def chronology_tombstones() -> dict[int, int]:
    """Chronology entries lawfully destroyed in this school: entry id -> certificate id."""
    return Destruction.chronology_entry_ids()


@dataclass(frozen=True)
class QueueRow:
    pupil: Pupil
    due_on: dt.date
    hold: LegalHold | None
    destruction: Destruction | None


def _standing(
    key: str,
) -> tuple[dict[int, dt.date], dict[int, LegalHold], dict[int, Destruction]]:
    """For the records named by `key` (pupil_id or allegation_id): the date each latest review
    set, the standing holds and the open proposals, in three queries."""
    latest_review: dict[int, dt.date] = {}
    for record_id, next_on in (
        RetentionReview.objects.filter(**{f"{key}__isnull": False})
        .order_by("reviewed_at", "pk")
        .values_list(key, "next_review_on")
    ):
        latest_review[record_id] = next_on
    holds = {
        getattr(h, key): h
        for h in LegalHold.objects.filter(lifted_at__isnull=True, **{f"{key}__isnull": False})
    }
    open_destructions = {
        getattr(d, key): d
        for d in Destruction.objects.filter(
            status__in=[Destruction.Status.PROPOSED, Destruction.Status.APPROVED],
            **{f"{key}__isnull": False},
        )
    }
    return latest_review, holds, open_destructions


def retention_queue(*, today: dt.date | None = None) -> list[QueueRow]:
    """Records whose review is due (retention ended, or the date set at the last review), with
    any standing hold and any open proposal; destroyed records are not listed."""
    today = today or timezone.localdate()
    destroyed = set(
        Destruction.objects.filter(status=Destruction.Status.DESTROYED).values_list(
            "pupil_id", flat=True
        )
    )
    latest_review, holds, open_destructions = _standing("pupil_id")
    # Only pupils born 25 years ago or more can be due: the rest are not read at all.
    born_by = add_years(today, -CHILD_PROTECTION_YEARS)
    candidates = Pupil.objects.filter(date_of_birth__lte=born_by).exclude(pk__in=destroyed)
    rows = []
    for pupil in candidates.order_by("date_of_birth", "pk"):
        due_on = latest_review.get(pupil.pk, add_years(pupil.date_of_birth, CHILD_PROTECTION_YEARS))
        if due_on <= today:
            rows.append(
                QueueRow(pupil, due_on, holds.get(pupil.pk), open_destructions.get(pupil.pk))
            )
    return rows


@dataclass(frozen=True)
class AllegationQueueRow:
    allegation: Allegation
    due_on: dt.date
    # Why the record is kept until then: pension age, 10 years, or the last review.
    why: str
    hold: LegalHold | None
    destruction: Destruction | None


def allegation_retention_queue(
    *, reader: Reader, today: dt.date | None = None
) -> list[AllegationQueueRow]:
    """Allegation records this reader handles whose review is due, as `retention_queue`."""
    if not reader.sees_allegations:
        return []
    today = today or timezone.localdate()
    # Kept at least 10 years: younger allegations are not read at all.
    made_by = add_years(today, -ALLEGATION_MIN_YEARS)
    candidates = (
        Allegation.objects.filter(
            concern__in=concerns_visible(reader), created_at__date__lte=made_by
        )
        .exclude(
            pk__in=Destruction.objects.filter(
                status=Destruction.Status.DESTROYED, allegation_id__isnull=False
            ).values("allegation_id")
        )
        .prefetch_related("versions")
        .order_by("created_at", "pk")
    )
    latest_review, holds, open_destructions = _standing("allegation_id")
    rows = []
    for allegation in candidates:
        versions = list(allegation.versions.all())
        superseded = {v.supersedes_id for v in versions}
        born = next((v.adult_date_of_birth for v in versions if v.pk not in superseded), None)
        due_on, why = allegation_retention_until(allegation, adult_date_of_birth=born)
        if allegation.pk in latest_review:
            due_on, why = latest_review[allegation.pk], "the date set at its last review"
        if due_on <= today:
            rows.append(
                AllegationQueueRow(
                    allegation,
                    due_on,
                    why,
                    holds.get(allegation.pk),
                    open_destructions.get(allegation.pk),
                )
            )
    return rows


def destruction_certificates(*, reader: Reader) -> list[Destruction]:
    """Certificates of destroyed records; those of allegation records only for readers who see
    allegations."""
    certificates = Destruction.objects.filter(status=Destruction.Status.DESTROYED)
    if not reader.sees_allegations:
        certificates = certificates.filter(allegation_id__isnull=True)
    return list(certificates.order_by("-destroyed_at"))


def _key(pupil_id: int | None, allegation_id: int | None) -> dict[str, Any]:
    # Typed loosely: one of the two is None, which the ORM reads as IS NULL.
    return {"pupil_id": pupil_id, "allegation_id": allegation_id}


def legal_holds_of(
    *, pupil_id: int | None = None, allegation_id: int | None = None
) -> list[LegalHold]:
    return list(
        LegalHold.objects.filter(**_key(pupil_id, allegation_id)).order_by("-placed_at", "-pk")
    )


def reviews_of(
    *, pupil_id: int | None = None, allegation_id: int | None = None
) -> list[RetentionReview]:
    return list(
        RetentionReview.objects.filter(**_key(pupil_id, allegation_id)).order_by(
            "-reviewed_at", "-pk"
        )
    )


def destructions_of(
    *, pupil_id: int | None = None, allegation_id: int | None = None
) -> list[Destruction]:
    return list(
        Destruction.objects.filter(**_key(pupil_id, allegation_id)).order_by("-proposed_at", "-pk")
    )
