"""Reads of the files sent to schools outside the trust (docs/transfers.md, "Outside the trust").

For the DSL and the deputies only (Capability.TRANSFER_FILES); anyone else gets the same 404 as
for a transfer that does not exist.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from safeguarding.models import OutsideTransfer, Pupil
from safeguarding.permissions import Reader
from trustplatform.permissions import Capability, role_allows


def _sends_files(reader: Reader | None) -> bool:
    return reader is not None and role_allows(frozenset({reader.role}), Capability.TRANSFER_FILES)


def outside_transfer_get_for_reader(*, reader: Reader | None, transfer_id: int) -> OutsideTransfer:
    if not _sends_files(reader):
        raise Http404
    transfer = (
        OutsideTransfer.objects.select_related("pupil", "package", "printable")
        .filter(pk=transfer_id)
        .first()
    )
    if transfer is None:
        raise Http404
    return transfer


def outside_transfers_of_pupil(*, reader: Reader | None, pupil: Pupil) -> list[OutsideTransfer]:
    """The pupil's packages, newest first; none for anyone who does not send files."""
    if not _sends_files(reader):
        return []
    return list(OutsideTransfer.objects.filter(pupil=pupil).select_related("package"))


def outside_transfers_overdue(*, now: dt.datetime | None = None) -> QuerySet[OutsideTransfer]:
    """Files whose receipt is not back by their deadline, for the dashboard of the DSL and
    deputies. No names: the dashboard lists them by reference and receiving school."""
    return OutsideTransfer.objects.filter(
        receipt_on__isnull=True, due_at__lt=now or timezone.now()
    ).order_by("due_at", "pk")
