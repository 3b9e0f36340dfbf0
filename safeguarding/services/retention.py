"""Retention of a child's record: when it falls due for review, keeping it for another period,
legal holds, and lawful destruction proposed by one person and approved by another
(docs/rules.md, "Retention").

Destruction is the one path that changes append-only rows. It runs through the owner's
connection (DATABASE_OWNER_URL), in `public.safeguarding_destroy_record` (trustplatform/audit
migration 0012), never through the application's role.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

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
from safeguarding.selectors.retention import CHILD_PROTECTION_YEARS, add_years
from safeguarding.services.chronology import chronology_append
from safeguarding.storage import document_storage
from tenants.db import owner_connection, school_connection
from tenants.models import School
from trustplatform.accounts.models import Role, User
from trustplatform.audit.models import AuditAction
from trustplatform.audit.services import audit_record

logger = logging.getLogger(__name__)

# KCSIE Part 4: an allegation about a member of staff is kept until their normal pension age or
# 10 years from the allegation, whichever is longer.
ALLEGATION_MIN_YEARS = 10

# Who may do what (docs/rules.md, "Retention"): the DSL places and lifts holds; the DSL or a
# deputy reviews and proposes; a different DSL, deputy or headteacher approves.
HOLD_ROLES = frozenset({Role.DSL})
PROPOSE_ROLES = frozenset({Role.DSL, Role.DEPUTY_DSL})
APPROVE_ROLES = frozenset({Role.DSL, Role.DEPUTY_DSL, Role.HEADTEACHER})


def pupil_retention_until(pupil: Pupil) -> dt.date:
    """The end of a child's record's first retention period: date of birth + 25 years."""
    return add_years(pupil.date_of_birth, CHILD_PROTECTION_YEARS)


def pupil_review_due_on(pupil: Pupil) -> dt.date:
    """When the record is next reviewed: its latest review's date, else the end of retention."""
    latest = pupil.retention_reviews.order_by("-reviewed_at", "-pk").first()
    return latest.next_review_on if latest else pupil_retention_until(pupil)


def allegation_retention_until(
    allegation: Allegation, *, adult_date_of_birth: dt.date | None = None
) -> tuple[dt.date, str]:
    """The end of an allegation record's retention and how it was worked out: the later of the
    adult's pension age (STAFF_PENSION_AGE) and 10 years from the allegation; 10 years when
    the adult's date of birth is not known, which the explanation says."""
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


def legal_hold_standing(pupil_id: int) -> LegalHold | None:
    return LegalHold.objects.filter(pupil_id=pupil_id, lifted_at__isnull=True).first()


def _refuse_unless(reader: Reader, roles: frozenset[Role], what: str) -> None:
    if reader.role not in roles:
        raise ValidationError(f"Your role may not {what}.")


def _school() -> School:
    return School.objects.get(schema_name=school_connection.schema_name)


def _user(reader: Reader) -> User | None:
    return User.objects.filter(pk=reader.user_id).first()


def _record_event(*, reader: Reader, pupil: Pupil, title: str, body: str) -> None:
    # Written as the record's own history too, in the school's hash chain.
    chronology_append(
        pupil=pupil,
        kind=ChronologyEntry.Kind.NOTE,
        author=reader.person,
        title=title,
        body=body,
        source=Source.SYSTEM,
    )


@transaction.atomic
def legal_hold_place(*, reader: Reader, pupil: Pupil, reason: str) -> LegalHold:
    """Places a legal hold: nothing of the record is destroyed while it stands."""
    _refuse_unless(reader, HOLD_ROLES, "place a legal hold")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give the reason for the hold (the inquiry or the litigation).")
    Pupil.objects.select_for_update().get(pk=pupil.pk)
    if legal_hold_standing(pupil.pk) is not None:
        raise ValidationError("A legal hold already stands on this record.")
    who = reader.person
    hold = LegalHold.objects.create(
        pupil=pupil,
        reason=reason,
        placed_by_id=who.user_id,
        placed_by_name=who.name,
        placed_by_role=who.role,
    )
    # A proposal waiting for approval falls: the hold stops destruction outright.
    Destruction.objects.filter(pupil_id=pupil.pk, status=Destruction.Status.PROPOSED).update(
        status=Destruction.Status.WITHDRAWN
    )
    audit_record(
        action=AuditAction.LEGAL_HOLD_PLACED,
        actor=_user(reader),
        school=_school(),
        target_type="pupil",
        target_id=pupil.pk,
        data={"legal_hold_id": hold.pk},
    )
    _record_event(reader=reader, pupil=pupil, title="Legal hold placed", body=reason)
    return hold


@transaction.atomic
def legal_hold_lift(*, reader: Reader, pupil: Pupil, reason: str) -> LegalHold:
    _refuse_unless(reader, HOLD_ROLES, "lift a legal hold")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give the reason for lifting the hold.")
    hold = (
        LegalHold.objects.select_for_update()
        .filter(pupil_id=pupil.pk, lifted_at__isnull=True)
        .first()
    )
    if hold is None:
        raise ValidationError("No legal hold stands on this record.")
    who = reader.person
    hold.lifted_at = timezone.now()
    hold.lift_reason = reason
    hold.lifted_by_id, hold.lifted_by_name, hold.lifted_by_role = who.user_id, who.name, who.role
    hold.save()
    audit_record(
        action=AuditAction.LEGAL_HOLD_LIFTED,
        actor=_user(reader),
        school=_school(),
        target_type="pupil",
        target_id=pupil.pk,
        data={"legal_hold_id": hold.pk},
    )
    _record_event(reader=reader, pupil=pupil, title="Legal hold lifted", body=reason)
    return hold


@transaction.atomic
def retention_keep(
    *, reader: Reader, pupil: Pupil, reason: str, next_review_on: dt.date
) -> RetentionReview:
    """Keeps a record whose review is due for another period, until its next review."""
    _refuse_unless(reader, PROPOSE_ROLES, "review a record's retention")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give the reason for keeping the record.")
    if next_review_on <= timezone.localdate():
        raise ValidationError("The next review must be after today.")
    who = reader.person
    review = RetentionReview.objects.create(
        pupil=pupil,
        reason=reason,
        next_review_on=next_review_on,
        reviewed_by_id=who.user_id,
        reviewed_by_name=who.name,
        reviewed_by_role=who.role,
    )
    audit_record(
        action=AuditAction.RETENTION_REVIEWED,
        actor=_user(reader),
        school=_school(),
        target_type="pupil",
        target_id=pupil.pk,
        data={"retention_review_id": review.pk, "next_review_on": next_review_on.isoformat()},
    )
    return review


@transaction.atomic
def destruction_propose(*, reader: Reader, pupil: Pupil, reason: str) -> Destruction:
    """Proposes destroying a record whose review is due; another person must approve it."""
    _refuse_unless(reader, PROPOSE_ROLES, "propose destroying a record")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give the reason for destroying the record.")
    Pupil.objects.select_for_update().get(pk=pupil.pk)
    if legal_hold_standing(pupil.pk) is not None:
        raise ValidationError("A legal hold stands on this record: it cannot be destroyed.")
    if pupil_review_due_on(pupil) > timezone.localdate():
        raise ValidationError("This record's retention period has not ended.")
    if Destruction.objects.filter(
        pupil_id=pupil.pk, status__in=[Destruction.Status.PROPOSED, Destruction.Status.APPROVED]
    ).exists():
        raise ValidationError("Destroying this record is already proposed.")
    who = reader.person
    destruction = Destruction.objects.create(
        pupil_id=pupil.pk,
        reason=reason,
        proposed_by_id=who.user_id,
        proposed_by_name=who.name,
        proposed_by_role=who.role,
    )
    audit_record(
        action=AuditAction.RECORD_DESTRUCTION_PROPOSED,
        actor=_user(reader),
        school=_school(),
        target_type="destruction",
        target_id=destruction.pk,
        data={"pupil_id": pupil.pk},
    )
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
    if legal_hold_standing(destruction.pupil_id) is not None:
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
        data={"pupil_id": destruction.pupil_id},
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
