"""The agency directory and the disclosure log, as those who read every record see them."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from safeguarding.models import Agency, AgencyContact, Disclosure, Pupil
from safeguarding.permissions import Reader
from safeguarding.selectors.pupils import pupil_get_for_reader


def agencies_current() -> QuerySet[Agency]:
    """Agencies that may be chosen for a new request: not retired."""
    return Agency.objects.filter(retired=False)


def agency_contacts_current() -> QuerySet[AgencyContact]:
    return AgencyContact.objects.filter(retired=False, agency__retired=False).select_related(
        "agency"
    )


def disclosures_of_pupil(pupil: Pupil) -> QuerySet[Disclosure]:
    """A pupil's disclosure log, newest request first. The caller has checked the reader."""
    return (
        Disclosure.objects.filter(pupil=pupil)
        .select_related("agency", "contact")
        .prefetch_related("documents")
    )


def disclosure_get_for_reader(
    *, reader: Reader | None, disclosure_id: int, request: HttpRequest | None = None
) -> Disclosure:
    """The disclosure, if the reader may see its pupil; the same 404 for missing and forbidden.

    Disclosures are the DSL's, deputies' and headteacher's: a key holder sees none. Opening one
    is an opening of the pupil's record, written to the access log.
    """
    if reader is None or not reader.reads_everything:
        raise Http404
    disclosure = (
        Disclosure.objects.select_related("agency", "contact")
        .prefetch_related("documents")
        .filter(pk=disclosure_id)
        .first()
    )
    if disclosure is None:
        raise Http404
    disclosure.pupil = pupil_get_for_reader(
        reader=reader, pupil_id=disclosure.pupil_id, request=request
    )
    return disclosure
