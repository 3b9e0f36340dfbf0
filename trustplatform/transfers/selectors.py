"""Reading transfers: a school sees only the transfers from or to itself (docs/transfers.md)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django_tenants.utils import schema_context

from safeguarding.models import AccessAction, ChronologyEntry, Document, Pupil
from safeguarding.services.access import access_log_record
from safeguarding.services.chronology import Person
from tenants.models import School
from trustplatform.transfers.models import Transfer


def transfers_of_school(*, school: School) -> QuerySet[Transfer]:
    return (
        Transfer.objects.filter(Q(from_school=school) | Q(to_school=school))
        .select_related("from_school", "to_school", "started_by", "decided_by")
        .order_by("-started_at", "-pk")
    )


def transfer_get_for_school(*, school: School, transfer_id: int) -> Transfer:
    """The transfer, if it leaves or reaches `school`; the same 404 for missing and not yours."""
    transfer = transfers_of_school(school=school).filter(pk=transfer_id).first()
    if transfer is None:
        raise Http404
    return transfer


def transfer_received_of_pupil(*, school: School, pupil_id: int) -> Transfer | None:
    """The receipt of the file that left `school` for this pupil, once accepted."""
    return (
        transfers_of_school(school=school)
        .filter(from_school=school, pupil_id=pupil_id, status=Transfer.Status.ACCEPTED)
        .first()
    )


def transfer_pending_of_pupil(*, school: School, pupil_id: int) -> Transfer | None:
    return (
        transfers_of_school(school=school)
        .filter(from_school=school, pupil_id=pupil_id, status=Transfer.Status.PENDING)
        .first()
    )


def transfer_pupil_summary(
    *, transfer: Transfer, person: Person, request: HttpRequest | None = None
) -> dict[str, object] | None:
    """Who the file is about, read in the sending school: what the receiving DSL needs to match
    the child (name, date of birth, UPN, year group) and how much the file holds. Shown only on
    the transfer's page, to the DSL and deputies of the two schools; each view is written to the
    sending school's access log, as a view of the record there would be."""
    with schema_context(transfer.from_school.schema_name):
        pupil = Pupil.objects.filter(pk=transfer.pupil_id).first()
        if pupil is None:
            return None
        access_log_record(
            person=person,
            action=AccessAction.VIEWED_RECORD,
            object_type="transfer",
            object_id=transfer.pk,
            pupil_id=pupil.pk,
            request=request,
        )
        return {
            "name": pupil.display_name,
            "date_of_birth": pupil.date_of_birth,
            "upn": pupil.upn,
            "year_group": pupil.get_year_group_display(),
            "entries": ChronologyEntry.objects.filter(pupil=pupil).count(),
            "documents": Document.objects.filter(pupil=pupil).count(),
        }
