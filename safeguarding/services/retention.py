"""Retention of a child's record: when it falls due for review, keeping it for another period,
legal holds, and lawful destruction proposed by one person and approved by another
(docs/rules.md, "Retention").

The same rules serve an allegation record about a member of staff (kept until the later of the
adult's normal pension age and 10 years from the allegation).

Destruction is the one path that changes append-only rows. It runs through the owner's
connection (DATABASE_OWNER_URL), in `public.safeguarding_destroy_record` (a child's record) or
`public.safeguarding_destroy_allegation` (trustplatform/audit migrations 0012 to 0014), never
through the application's role.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import (
    Allegation,
    ChronologyEntry,
    Destruction,
    ExportJob,
    LegalHold,
    Pupil,
    RetentionReview,
    Source,
)
from safeguarding.permissions import Reader
from safeguarding.selectors.retention import (
    CHILD_PROTECTION_YEARS,
    add_years,
    review_due_on,
)
from safeguarding.services.chronology import chronology_append
from safeguarding.storage import document_storage
from tenants.db import owner_connection, school_connection
from tenants.models import School
from trustplatform.accounts.models import Role, User
from trustplatform.audit.models import AuditAction
from trustplatform.audit.services import audit_record

logger = logging.getLogger(__name__)

# Who may do what (docs/rules.md, "Retention"): the DSL places and lifts holds; the DSL or a
# deputy reviews and proposes; a different DSL, deputy or headteacher approves. An allegation
# record only by those who handle it (the DSL and headteacher), never the adult it is about.
HOLD_ROLES = frozenset({Role.DSL})
PROPOSE_ROLES = frozenset({Role.DSL, Role.DEPUTY_DSL})
APPROVE_ROLES = frozenset({Role.DSL, Role.DEPUTY_DSL, Role.HEADTEACHER})


@dataclass(frozen=True)
class Retained:
    """The record a retention decision is about: a child's file or an allegation record."""

    pupil: Pupil | None = None
    allegation: Allegation | None = None

    @property
    def key(self) -> dict[str, Any]:
        """The columns holds, reviews and destructions name their record by (one is None, which
        the ORM reads as IS NULL)."""
        return {
            "pupil_id": self.pupil.pk if self.pupil else None,
            "allegation_id": self.allegation.pk if self.allegation else None,
        }

    @property
    def target(self) -> tuple[str, int]:
        if self.pupil is not None:
            return "pupil", self.pupil.pk
        return "allegation", self.allegation.pk if self.allegation else 0

    def lock(self) -> None:
        if self.pupil is not None:
            Pupil.objects.select_for_update().get(pk=self.pupil.pk)
        else:
            Allegation.objects.select_for_update().get(pk=self.target[1])

    def review_due_on(self) -> dt.date:
        return review_due_on(pupil=self.pupil, allegation=self.allegation)


def _retained(*, reader: Reader, pupil: Pupil | None, allegation: Allegation | None) -> Retained:
    if (pupil is None) == (allegation is None):
        raise TypeError("a retention decision is about one pupil or one allegation")
    if allegation is not None and (
        not reader.sees_allegations or allegation.adult_user_id == reader.user_id
    ):
        # Need to know (KCSIE Part 4): the allegation's own handlers, never the adult.
        raise ValidationError("Only those who handle this allegation may decide its retention.")
    return Retained(pupil=pupil, allegation=allegation)


def pupil_retention_until(pupil: Pupil) -> dt.date:
    """The end of a child's record's first retention period: date of birth + 25 years."""
    return add_years(pupil.date_of_birth, CHILD_PROTECTION_YEARS)


def pupil_review_due_on(pupil: Pupil) -> dt.date:
    """When the record is next reviewed: its latest review's date, else the end of retention."""
    return review_due_on(pupil=pupil)


def legal_hold_standing(
    *, pupil_id: int | None = None, allegation_id: int | None = None
) -> LegalHold | None:
    key: dict[str, Any] = {"pupil_id": pupil_id, "allegation_id": allegation_id}
    return LegalHold.objects.filter(**key, lifted_at__isnull=True).first()


def _refuse_unless(reader: Reader, roles: frozenset[Role], what: str) -> None:
    if reader.role not in roles:
        raise ValidationError(f"Your role may not {what}.")


def _reason(reason: str, missing: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError(missing)
    return reason


def _school() -> School:
    return School.objects.get(schema_name=school_connection.schema_name)


def _user(reader: Reader) -> User | None:
    return User.objects.filter(pk=reader.user_id).first()


def _audit(*, reader: Reader, action: AuditAction, record: Retained, **data: object) -> None:
    target_type, target_id = record.target
    audit_record(
        action=action,
        actor=_user(reader),
        school=_school(),
        target_type=target_type,
        target_id=target_id,
        data=data,
    )


def _record_event(*, reader: Reader, record: Retained, title: str, body: str) -> None:
    # A child's record: written as its own history too, in the school's hash chain. An
    # allegation stays out of the children's chronologies (KCSIE Part 4): its audit row is all.
    if record.pupil is None:
        return
    chronology_append(
        pupil=record.pupil,
        kind=ChronologyEntry.Kind.NOTE,
        author=reader.person,
        title=title,
        body=body,
        source=Source.SYSTEM,
    )


@transaction.atomic
def legal_hold_place(
    *,
    reader: Reader,
    reason: str,
    pupil: Pupil | None = None,
    allegation: Allegation | None = None,
) -> LegalHold:
    """Places a legal hold: nothing of the record is destroyed while it stands."""
    _refuse_unless(reader, HOLD_ROLES, "place a legal hold")
    record = _retained(reader=reader, pupil=pupil, allegation=allegation)
    reason = _reason(reason, "Give the reason for the hold (the inquiry or the litigation).")
    record.lock()
    if legal_hold_standing(**record.key) is not None:
        raise ValidationError("A legal hold already stands on this record.")
    who = reader.person
    hold = LegalHold.objects.create(
        **record.key,
        reason=reason,
        placed_by_id=who.user_id,
        placed_by_name=who.name,
        placed_by_role=who.role,
    )
    # A proposal waiting for approval falls: the hold stops destruction outright.
    Destruction.objects.filter(**record.key, status=Destruction.Status.PROPOSED).update(
        status=Destruction.Status.WITHDRAWN
    )
    _audit(
        reader=reader, action=AuditAction.LEGAL_HOLD_PLACED, record=record, legal_hold_id=hold.pk
    )
    _record_event(reader=reader, record=record, title="Legal hold placed", body=reason)
    return hold


@transaction.atomic
def legal_hold_lift(
    *,
    reader: Reader,
    reason: str,
    pupil: Pupil | None = None,
    allegation: Allegation | None = None,
) -> LegalHold:
    _refuse_unless(reader, HOLD_ROLES, "lift a legal hold")
    record = _retained(reader=reader, pupil=pupil, allegation=allegation)
    reason = _reason(reason, "Give the reason for lifting the hold.")
    hold = (
        LegalHold.objects.select_for_update().filter(**record.key, lifted_at__isnull=True).first()
    )
    if hold is None:
        raise ValidationError("No legal hold stands on this record.")
    who = reader.person
    hold.lifted_at = timezone.now()
    hold.lift_reason = reason
    hold.lifted_by_id, hold.lifted_by_name, hold.lifted_by_role = who.user_id, who.name, who.role
    hold.save()
    _audit(
        reader=reader, action=AuditAction.LEGAL_HOLD_LIFTED, record=record, legal_hold_id=hold.pk
    )
    _record_event(reader=reader, record=record, title="Legal hold lifted", body=reason)
    return hold


@transaction.atomic
def retention_decide(
    *,
    reader: Reader,
    reason: str,
    pupil: Pupil | None = None,
    allegation: Allegation | None = None,
    keep_until: dt.date | None = None,
) -> RetentionReview | Destruction:
    """The decision on a record whose review is due: kept for another period until its next
    review on `keep_until`, or, without one, proposed for destruction, which another person
    must approve."""
    keep = keep_until is not None
    _refuse_unless(
        reader,
        PROPOSE_ROLES,
        "review a record's retention" if keep else "propose destroying a record",
    )
    record = _retained(reader=reader, pupil=pupil, allegation=allegation)
    reason = _reason(
        reason,
        f"Give the reason for {'keeping' if keep else 'destroying'} the record.",
    )
    who = reader.person
    by = "reviewed_by" if keep else "proposed_by"
    people = {
        "reason": reason,
        f"{by}_id": who.user_id,
        f"{by}_name": who.name,
        f"{by}_role": who.role,
    }
    if keep_until is not None:
        if keep_until <= timezone.localdate():
            raise ValidationError("The next review must be after today.")
        review = RetentionReview.objects.create(**record.key, **people, next_review_on=keep_until)
        _audit(
            reader=reader,
            action=AuditAction.RETENTION_REVIEWED,
            record=record,
            retention_review_id=review.pk,
            next_review_on=keep_until.isoformat(),
        )
        return review
    record.lock()
    if legal_hold_standing(**record.key) is not None:
        raise ValidationError("A legal hold stands on this record: it cannot be destroyed.")
    if record.review_due_on() > timezone.localdate():
        raise ValidationError("This record's retention period has not ended.")
    if Destruction.objects.filter(
        **record.key, status__in=[Destruction.Status.PROPOSED, Destruction.Status.APPROVED]
    ).exists():
        raise ValidationError("Destroying this record is already proposed.")
    destruction = Destruction.objects.create(**record.key, **people)
    _audit(
        reader=reader,
        action=AuditAction.RECORD_DESTRUCTION_PROPOSED,
        record=record,
        destruction_id=destruction.pk,
    )
    return destruction


def retention_keep(
    *,
    reader: Reader,
    reason: str,
    next_review_on: dt.date,
    pupil: Pupil | None = None,
    allegation: Allegation | None = None,
) -> RetentionReview:
    """Keeps a record whose review is due for another period, until its next review."""
    review = retention_decide(
        reader=reader, reason=reason, pupil=pupil, allegation=allegation, keep_until=next_review_on
    )
    if not isinstance(review, RetentionReview):
        raise TypeError(review)
    return review


def destruction_propose(
    *,
    reader: Reader,
    reason: str,
    pupil: Pupil | None = None,
    allegation: Allegation | None = None,
) -> Destruction:
    """Proposes destroying a record whose review is due; another person must approve it."""
    destruction = retention_decide(reader=reader, reason=reason, pupil=pupil, allegation=allegation)
    if not isinstance(destruction, Destruction):
        raise TypeError(destruction)
    return destruction


def destruction_approval_check(*, reader: Reader, destruction: Destruction) -> None:
    """Raises ValidationError, with the reason, when `reader` may not approve `destruction`."""
    _refuse_unless(reader, APPROVE_ROLES, "approve destroying a record")
    if destruction.status != Destruction.Status.PROPOSED:
        raise ValidationError("This proposal is no longer waiting for approval.")
    if destruction.proposed_by_id == reader.user_id:
        raise ValidationError(
            "You proposed this destruction: a different DSL, deputy or headteacher must approve it."
        )
    if destruction.allegation_id is not None:
        allegation = Allegation.objects.get(pk=destruction.allegation_id)
        _retained(reader=reader, pupil=None, allegation=allegation)
    if (
        legal_hold_standing(pupil_id=destruction.pupil_id, allegation_id=destruction.allegation_id)
        is not None
    ):
        raise ValidationError("A legal hold stands on this record: it cannot be destroyed.")


@transaction.atomic
def _approve(*, reader: Reader, destruction_id: int) -> Destruction:
    destruction = Destruction.objects.select_for_update().get(pk=destruction_id)
    destruction_approval_check(reader=reader, destruction=destruction)
    who = reader.person
    destruction.status = Destruction.Status.APPROVED
    destruction.approved_at = timezone.now()
    destruction.approved_by_id = who.user_id
    destruction.approved_by_name, destruction.approved_by_role = who.name, who.role
    destruction.save()
    audit_record(
        action=AuditAction.RECORD_DESTROYED,
        actor=_user(reader),
        school=_school(),
        target_type="destruction",
        target_id=destruction.pk,
        data={"pupil_id": destruction.pupil_id, "allegation_id": destruction.allegation_id},
    )
    return destruction


def destruction_approve(*, reader: Reader, destruction_id: int) -> Destruction:
    """Approves a proposal made by someone else and carries the destruction out."""
    _refuse_unless(reader, APPROVE_ROLES, "approve destroying a record")
    # Checked before anything is locked, and again under the lock.
    destruction_approval_check(
        reader=reader, destruction=Destruction.objects.get(pk=destruction_id)
    )
    if transaction.get_connection().in_atomic_block:
        # The owner's connection waits for this one's locks: approving first must be committed.
        raise RuntimeError("destruction_approve runs outside a transaction")
    destruction = _approve(reader=reader, destruction_id=destruction_id)
    return destruction_carry_out(destruction_id=destruction.pk)


def destruction_carry_out(*, destruction_id: int) -> Destruction:
    """Erases an approved record through the owner's connection, then deletes its files.

    Safe to run again: a destruction already carried out is left as it is, and an approved one
    whose run failed half-way (nothing committed) is carried out anew."""
    destruction = Destruction.objects.get(pk=destruction_id)
    if destruction.status != Destruction.Status.APPROVED:
        return destruction
    schema = school_connection.schema_name
    # The owner's connection (the OWNER alias, DATABASE_OWNER_URL): the application's role can
    # neither switch a trigger off nor run the function.
    with (
        owner_connection(),
        schema_context(schema),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        if destruction.allegation_id is not None:
            cursor.execute("SELECT public.safeguarding_destroy_allegation(%s)", [destruction.pk])
        else:
            cursor.execute("SELECT public.safeguarding_destroy_record(%s)", [destruction.pk])
        row = cursor.fetchone()
    # jsonb: Django's cursor hands it back as text.
    value = row[0] if row else []
    files: list[str] = json.loads(value) if isinstance(value, str) else list(value)
    storage = document_storage()
    for name in files:
        # Committed first, deleted after: a file left by a failure here names no one in the
        # school's tables any more, and the certificate counts what was to be deleted.
        try:
            storage.delete(name)
        except OSError:
            logger.warning("destruction %s: a stored file could not be deleted", destruction.pk)
    destruction.refresh_from_db()
    return destruction


def exports_expire(*, now: dt.datetime | None = None) -> int:
    """Deletes the files of exports finished more than EXPORT_RETENTION_DAYS ago and marks them
    expired; returns how many. A second run finds nothing left (claimed by a conditional
    UPDATE)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.EXPORT_RETENTION_DAYS)
    storage = document_storage()
    expired = 0
    for job_id, name in ExportJob.objects.filter(
        status__in=[ExportJob.Status.DONE, ExportJob.Status.FAILED], finished_at__lt=cutoff
    ).values_list("pk", "file"):
        claimed = ExportJob.objects.filter(
            pk=job_id, status__in=[ExportJob.Status.DONE, ExportJob.Status.FAILED]
        ).update(status=ExportJob.Status.EXPIRED, file="")
        if claimed and name:
            storage.delete(name)
        expired += claimed
    return expired
