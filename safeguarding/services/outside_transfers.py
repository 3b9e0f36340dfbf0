"""Sending a child's file to a school outside the trust: the package, its sending, the receipt.

docs/transfers.md, "Outside the trust". KCSIE: the file reaches the new school within 5 school
days of the move, separately from the main pupil file, with confirmation of receipt. Outside the
trust there is no shared system: the DSL sends an encrypted PDF (its password told separately,
by phone) or the printed copy, and records the signed receipt page when it comes back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from safeguarding.models import ChronologyEntry, ExportJob, OutsideTransfer, Pupil
from safeguarding.permissions import Reader
from safeguarding.services.chronology import chronology_append
from safeguarding.services.export_queue import export_queue_on_commit
from safeguarding.services.exports import export_job_create
from safeguarding.transfer_package import password_make, password_seal
from tenants.addresses import site_url
from tenants.db import school_connection
from tenants.models import School
from trustplatform.accounts.models import Role, User
from trustplatform.outbox.registry import Email, outbox_kind_register
from trustplatform.outbox.services import outbox_add
from trustplatform.permissions import Capability, role_allows
from trustplatform.schooldays.calendar import calendar_of

# KCSIE: the file is with the new school within 5 school days of the move.
OUTSIDE_TRANSFER_SCHOOL_DAYS = 5
OVERDUE_EMAIL = "safeguarding.outside_transfer_overdue"
LEAD_ROLES = (Role.DSL, Role.DEPUTY_DSL)


@dataclass(frozen=True)
class PackageStarted:
    transfer: OutsideTransfer
    # Shown once to the DSL on the page that answers the request, and nowhere else.
    password: str


def _check_sender(reader: Reader) -> None:
    # The views ask the same (Capability.TRANSFER_FILES); this is the second check.
    if not role_allows(frozenset({reader.role}), Capability.TRANSFER_FILES):
        raise ValidationError("Only the DSL and the deputies send a child's file.")


def outside_transfer_due_at(*, school: School, moved_on: dt.date) -> dt.datetime:
    """5 school days of the school's calendar from the start of the day of the move."""
    start = timezone.make_aware(dt.datetime.combine(moved_on, dt.time.min))
    return calendar_of(school).add_school_days(start, OUTSIDE_TRANSFER_SCHOOL_DAYS)


def outside_transfer_start(
    *,
    reader: Reader,
    school: School,
    pupil: Pupil,
    receiving_school: str,
    moved_on: dt.date,
    request: HttpRequest | None = None,
) -> PackageStarted:
    """Asks a worker for the encrypted package and its printable copy, and returns the password.

    The password is sealed into the package's job for the worker only and kept here as a hash;
    the caller shows it once. Both exports are written to the access log (`export_job_create`).
    """
    _check_sender(reader)
    receiving_school = " ".join(receiving_school.split())
    if not receiving_school:
        raise ValidationError({"receiving_school": "Name the school the child is moving to."})
    if len(receiving_school) > 200:
        raise ValidationError({"receiving_school": "The school's name is at most 200 characters."})
    if pupil.transferred_out:
        raise ValidationError("This file has moved to another school already.")
    password = password_make()
    with transaction.atomic():
        package = export_job_create(
            reader=reader, pupil=pupil, version=ExportJob.Version.PACKAGE, request=request
        )
        package.sealed_password = password_seal(password)
        package.save(update_fields=["sealed_password"])
        printable = export_job_create(
            reader=reader, pupil=pupil, version=ExportJob.Version.PRINTABLE, request=request
        )
        transfer = OutsideTransfer.objects.create(
            pupil=pupil,
            receiving_school=receiving_school,
            moved_on=moved_on,
            due_at=outside_transfer_due_at(school=school, moved_on=moved_on),
            package=package,
            printable=printable,
            password_hash=make_password(password),
            started_by_id=reader.user_id,
            started_by_name=reader.name,
            started_by_role=str(reader.role),
        )
        chronology_append(
            pupil=pupil,
            kind=ChronologyEntry.Kind.NOTE,
            author=reader.person,
            title="File package made for a school outside the trust",
            body=(
                f"The child's file is being packaged for {receiving_school} (move on "
                f"{moved_on:%d %B %Y}): an encrypted PDF, its password given to "
                f"{reader.name} once, and a printable copy with a receipt page."
            ),
            details={"outside_transfer_id": transfer.pk, "receiving_school": receiving_school},
        )
        export_queue_on_commit(package)
        export_queue_on_commit(printable)
    return PackageStarted(transfer=transfer, password=password)


def _locked(transfer: OutsideTransfer) -> OutsideTransfer:
    return OutsideTransfer.objects.select_for_update().select_related("pupil").get(pk=transfer.pk)


@transaction.atomic
def outside_transfer_sent(
    *, reader: Reader, transfer: OutsideTransfer, sent_on: dt.date, sent_how: str
) -> OutsideTransfer:
    """Records when and how the package went (secure email, post, by hand)."""
    _check_sender(reader)
    transfer = _locked(transfer)
    sent_how = " ".join(sent_how.split())
    errors: dict[str, str] = {}
    if transfer.sent_on is not None:
        raise ValidationError("The sending is recorded already.")
    if transfer.package.status != ExportJob.Status.DONE:
        raise ValidationError("The package is not ready yet.")
    if not sent_how:
        errors["sent_how"] = "Say how the file was sent: secure email, recorded post, by hand."
    if sent_on > timezone.localdate():
        errors["sent_on"] = "The date sent cannot be in the future."
    elif sent_on < timezone.localdate(transfer.started_at):
        errors["sent_on"] = "The date sent is before the package was made."
    if errors:
        raise ValidationError(errors)
    transfer.sent_on, transfer.sent_how = sent_on, sent_how[:200]
    transfer.sent_recorded_by_name = reader.name
    transfer.save(update_fields=["sent_on", "sent_how", "sent_recorded_by_name"])
    chronology_append(
        pupil=transfer.pupil,
        kind=ChronologyEntry.Kind.NOTE,
        author=reader.person,
        title="File sent to a school outside the trust",
        body=f"Sent to {transfer.receiving_school} on {sent_on:%d %B %Y}: {transfer.sent_how}.",
        details={"outside_transfer_id": transfer.pk, "sent_on": sent_on.isoformat()},
    )
    return transfer


@transaction.atomic
def outside_transfer_receipt(
    *, reader: Reader, transfer: OutsideTransfer, received_on: dt.date, signed_by: str
) -> OutsideTransfer:
    """Records the receipt page returned signed by the receiving school: the file arrived."""
    _check_sender(reader)
    transfer = _locked(transfer)
    signed_by = " ".join(signed_by.split())
    errors: dict[str, str] = {}
    if transfer.receipt_on is not None:
        raise ValidationError("The receipt is recorded already.")
    if transfer.sent_on is None:
        raise ValidationError("Record when the file was sent first.")
    if not signed_by:
        errors["signed_by"] = "Say who signed the receipt, and their role."
    if received_on > timezone.localdate():
        errors["received_on"] = "The date received cannot be in the future."
    elif received_on < transfer.sent_on:
        errors["received_on"] = "The file cannot be received before it was sent."
    if errors:
        raise ValidationError(errors)
    transfer.receipt_on, transfer.receipt_signed_by = received_on, signed_by[:200]
    transfer.receipt_recorded_by_name = reader.name
    transfer.receipt_recorded_at = timezone.now()
    transfer.save(
        update_fields=[
            "receipt_on",
            "receipt_signed_by",
            "receipt_recorded_by_name",
            "receipt_recorded_at",
        ]
    )
    chronology_append(
        pupil=transfer.pupil,
        kind=ChronologyEntry.Kind.NOTE,
        author=reader.person,
        title="Receipt of the file returned by a school outside the trust",
        body=(
            f"{transfer.receiving_school} received the file on {received_on:%d %B %Y}; "
            f"the receipt is signed by {transfer.receipt_signed_by}."
        ),
        details={"outside_transfer_id": transfer.pk, "received_on": received_on.isoformat()},
    )
    return transfer


def outside_transfers_escalate_overdue(
    *, school: School, now: dt.datetime | None = None
) -> list[int]:
    """Emails the DSL and deputies, once, of each file whose receipt is not back in time.

    Safe to run twice at once: each transfer is claimed by a conditional UPDATE first.
    """
    now = now or timezone.now()
    escalated = []
    for transfer_id in OutsideTransfer.objects.filter(
        receipt_on__isnull=True, escalated_at__isnull=True, due_at__lt=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            claimed = OutsideTransfer.objects.filter(
                pk=transfer_id, receipt_on__isnull=True, escalated_at__isnull=True
            ).update(escalated_at=now)
            if claimed:
                outbox_add(kind=OVERDUE_EMAIL, object_id=transfer_id)
                escalated.append(transfer_id)
    return escalated


def overdue_email(transfer_id: int) -> Email | None:
    """Names the school the file went to and links to the page; never the child."""
    transfer = OutsideTransfer.objects.filter(pk=transfer_id).first()
    if transfer is None or transfer.receipt_on is not None:
        return None
    school = School.objects.get(schema_name=school_connection.schema_name)
    emails = list(
        User.objects.filter(
            is_active=True,
            school_memberships__school=school,
            school_memberships__role__in=[role.value for role in LEAD_ROLES],
        )
        .values_list("email", flat=True)
        .distinct()
    )
    if not emails:
        return None
    link = site_url(school, f"/outside-transfers/{transfer.pk}/")
    return Email(
        subject="A safeguarding file's receipt is overdue",
        body=(
            f"The receipt of a safeguarding file sent by {school.name} to "
            f"{transfer.receiving_school} has not been recorded within "
            f"{OUTSIDE_TRANSFER_SCHOOL_DAYS} school days of the move.\n\nSee it here: {link}\n\n"
            "This email names no child: sign in to see the transfer."
        ),
        to=[],
        bcc=emails,
    )


outbox_kind_register(OVERDUE_EMAIL, render=overdue_email)
