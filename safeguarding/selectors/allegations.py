"""Allegations against staff, for those who handle them: never the adult they are about
(KCSIE Part 4; docs/rules.md, "Who reads which records")."""

from __future__ import annotations

from safeguarding.models import Allegation, AllegationVersion, Concern
from safeguarding.permissions import Reader
from safeguarding.selectors.concerns import concerns_visible


def allegation_of_concern(reader: Reader, concern: Concern) -> Allegation | None:
    """The allegation a visible concern records, for a reader who sees allegations."""
    if not reader.sees_allegations:
        return None
    return Allegation.objects.filter(concern=concern).first()


def allegation_get_for_reader(*, reader: Reader | None, concern_id: int) -> Allegation | None:
    """The allegation, when this reader sees allegations and its concern; else None."""
    if reader is None or not reader.sees_allegations:
        return None
    return Allegation.objects.filter(
        concern_id=concern_id, concern__in=concerns_visible(reader)
    ).first()


def allegation_get_for_case_manager(*, user_id: int, concern_id: int) -> Allegation | None:
    """The allegation, when this user was named its case manager and it is not about them."""
    return (
        Allegation.objects.filter(concern_id=concern_id, case_manager_id=user_id)
        .exclude(adult_user_id=user_id)
        .first()
    )


def allegation_versions(allegation: Allegation) -> list[AllegationVersion]:
    return list(allegation.versions.order_by("recorded_at", "pk"))


def concern_records_allegation(concern: Concern) -> bool:
    """Whether the concern records an allegation against an adult (corrected on its own record)."""
    return Allegation.objects.filter(concern=concern).exists()
