"""The agency directory, and information shared with agencies: request, decision, what was
shared (with every document issued), and whether the child was told.

Each step of a disclosure is filled in once, under a row lock, and appended to the pupil's
chronology in the same transaction (kind DISCLOSURE), so the log and the chronology never
disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from safeguarding.models import (
    Agency,
    AgencyContact,
    ChronologyEntry,
    Disclosure,
    Document,
    LawfulBasis,
    Pupil,
)
from safeguarding.models.concerns import BACKDATE_GRACE, CLOCK_SKEW
from safeguarding.services.chronology import Person, chronology_append
from trustplatform.accounts.models import Role
from trustplatform.permissions import Capability, role_allows

# --- the agency directory ----------------------------------------------------------------------

AGENCY_FIELDS = ("name", "kind", "phone", "email", "address", "notes", "retired")
CONTACT_FIELDS = ("name", "role", "phone", "email", "retired")


def _agency_name_taken(name: str, *, exclude_pk: int | None = None) -> bool:
    agencies = Agency.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        agencies = agencies.exclude(pk=exclude_pk)
    return agencies.exists()


@transaction.atomic
def agency_create(*, author: Person, **fields: Any) -> Agency:
    """Adds an agency to the school's directory (the DSL or the headteacher)."""
    values = {name: fields[name] for name in AGENCY_FIELDS if name in fields}
    values["name"] = str(values.get("name", "")).strip()
    if not values["name"]:
        raise ValidationError({"name": "Give the agency's name."})
    if _agency_name_taken(values["name"]):
        raise ValidationError({"name": "The directory already has an agency with this name."})
    agency = Agency(**values, updated_by_id=author.user_id, updated_by_name=author.name)
    agency.full_clean()
    agency.save()
    return agency


@transaction.atomic
def agency_update(*, agency: Agency, author: Person, **fields: Any) -> Agency:
    """Changes an agency's details. Past disclosures keep pointing at it; retire, never delete."""
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    for name in AGENCY_FIELDS:
        if name in fields:
            setattr(agency, name, fields[name])
    agency.name = agency.name.strip()
    if _agency_name_taken(agency.name, exclude_pk=agency.pk):
        raise ValidationError({"name": "The directory already has an agency with this name."})
    agency.updated_by_id, agency.updated_by_name = author.user_id, author.name
    agency.full_clean()
    agency.save()
    return agency


@transaction.atomic
def agency_contact_create(*, agency: Agency, author: Person, **fields: Any) -> AgencyContact:
    contact = AgencyContact(agency=agency, **{n: fields[n] for n in CONTACT_FIELDS if n in fields})
    contact.name = contact.name.strip()
    contact.full_clean()
    contact.save()
    # The author is not stored: the directory is not child data, and the agency's own
    # updated_by shows who last changed its entry.
    Agency.objects.filter(pk=agency.pk).update(
        updated_by_id=author.user_id, updated_by_name=author.name, updated_at=timezone.now()
    )
    return contact


@transaction.atomic
def agency_contact_update(
    *, contact: AgencyContact, author: Person, **fields: Any
) -> AgencyContact:
    contact = AgencyContact.objects.select_for_update().get(pk=contact.pk)
    for name in CONTACT_FIELDS:
        if name in fields:
            setattr(contact, name, fields[name])
    contact.name = contact.name.strip()
    contact.full_clean()
    contact.save()
    Agency.objects.filter(pk=contact.agency_id).update(
        updated_by_id=author.user_id, updated_by_name=author.name, updated_at=timezone.now()
    )
    return contact


# --- disclosures -------------------------------------------------------------------------------


def may_approve_sharing(person: Person) -> bool:
    """Only the headteacher or the DSL give permission to share.

    docs/rules.md, "Sharing with agencies".
    """
    try:
        role = Role(person.role)
    except ValueError:
        return False
    return role_allows(frozenset({role}), Capability.APPROVE_INFORMATION_SHARING)


def _check_time(*, field: str, when: dt.datetime, backdate_reason: str, now: dt.datetime) -> None:
    """A time in the future is impossible; one well in the past needs its reason.

    docs/rules.md, "Occurred and recorded times".
    """
    if timezone.is_naive(when):
        raise ValidationError({field: "Give the time with its time zone."})
    if when > now + CLOCK_SKEW:
        raise ValidationError({field: "This time is in the future."})
    if when < now - BACKDATE_GRACE and not backdate_reason.strip():
        raise ValidationError(
            {"backdate_reason": "Say why this is being recorded later than it happened."}
        )


def _locked(disclosure: Disclosure) -> Disclosure:
    # Two people deciding the same request at once: the second waits, then sees it decided.
    return (
        Disclosure.objects.select_for_update(of=("self",))
        .select_related("pupil", "agency", "contact")
        .get(pk=disclosure.pk)
    )


def _agency_label(disclosure: Disclosure) -> str:
    return disclosure.agency.name


@transaction.atomic
def disclosure_request_record(
    *,
    pupil: Pupil,
    agency: Agency,
    requested_by: str,
    request_summary: str,
    request_received_at: dt.datetime,
    author: Person,
    contact: AgencyContact | None = None,
    backdate_reason: str = "",
) -> Disclosure:
    """Records an agency's request for a pupil's information, before anything is shared."""
    requested_by, request_summary = requested_by.strip(), request_summary.strip()
    if not requested_by:
        raise ValidationError({"requested_by": "Say who asked: their name and role."})
    if not request_summary:
        raise ValidationError({"request_summary": "Say what they asked for."})
    if agency.retired:
        raise ValidationError({"agency": "This agency is retired; choose a current one."})
    if contact is not None and (contact.agency_id != agency.pk or contact.retired):
        raise ValidationError({"contact": "Choose a current contact of the chosen agency."})
    now = timezone.now()
    _check_time(
        field="request_received_at",
        when=request_received_at,
        backdate_reason=backdate_reason,
        now=now,
    )
    disclosure = Disclosure.objects.create(
        pupil=pupil,
        agency=agency,
        contact=contact,
        request_received_at=request_received_at,
        requested_by=requested_by,
        request_summary=request_summary,
        recorded_by_id=author.user_id,
        recorded_by_name=author.name,
        recorded_by_role=author.role,
        recorded_at=now,
    )
    chronology_append(
        pupil=pupil,
        kind=ChronologyEntry.Kind.DISCLOSURE,
        author=author,
        title=f"Request for information from {agency.name}",
        body=f"{requested_by} asked for: {request_summary}",
        occurred_at=request_received_at,
        backdate_reason=backdate_reason.strip(),
        details={
            "step": "requested",
            "agency_id": agency.pk,
            "agency": agency.name,
            "agency_kind": agency.kind,
            "contact_id": contact.pk if contact else None,
            "contact": str(contact) if contact else "",
            "requested_by": requested_by,
        },
        disclosure_id=disclosure.pk,
    )
    return disclosure


@transaction.atomic
def disclosure_decide(
    *,
    disclosure: Disclosure,
    approve: bool,
    approver: Person,
    lawful_basis: Iterable[str] = (),
    lawful_basis_other: str = "",
    notes: str = "",
) -> Disclosure:
    """The headteacher or the DSL approves sharing (naming its lawful basis) or refuses it."""
    if not may_approve_sharing(approver):
        raise PermissionDenied("Only the headteacher or the DSL may decide on sharing.")
    disclosure = _locked(disclosure)
    if disclosure.decision:
        raise ValidationError("This request has already been decided.")
    notes, lawful_basis_other = notes.strip(), lawful_basis_other.strip()
    bases = list(dict.fromkeys(lawful_basis))  # once each, in the order chosen
    if approve:
        if not bases:
            raise ValidationError({"lawful_basis": "Choose the lawful basis for sharing."})
        if unknown := [b for b in bases if b not in LawfulBasis.values]:
            raise ValidationError({"lawful_basis": f"Unknown lawful basis: {unknown}."})
        if LawfulBasis.OTHER in bases and not lawful_basis_other:
            raise ValidationError({"lawful_basis_other": "Name the other lawful basis."})
    else:
        if not notes:
            raise ValidationError({"notes": "Say why sharing is refused."})
        bases, lawful_basis_other = [], ""

    disclosure.decision = Disclosure.Decision.APPROVED if approve else Disclosure.Decision.REFUSED
    disclosure.decided_by_id = approver.user_id
    disclosure.decided_by_name = approver.name
    disclosure.decided_by_role = approver.role
    disclosure.decided_at = timezone.now()
    disclosure.decision_notes = notes
    disclosure.lawful_basis = bases
    disclosure.lawful_basis_other = lawful_basis_other if LawfulBasis.OTHER in bases else ""
    disclosure.save(
        update_fields=[
            "decision",
            "decided_by_id",
            "decided_by_name",
            "decided_by_role",
            "decided_at",
            "decision_notes",
            "lawful_basis",
            "lawful_basis_other",
        ]
    )
    verdict = "approved" if approve else "refused"
    lines = ["Lawful basis: " + "; ".join(disclosure.lawful_basis_labels)] if approve else []
    chronology_append(
        pupil=disclosure.pupil,
        kind=ChronologyEntry.Kind.DISCLOSURE,
        author=approver,
        title=f"Sharing with {_agency_label(disclosure)} {verdict}",
        body="\n".join([*lines, notes] if notes else lines),
        occurred_at=disclosure.decided_at,
        details={
            "step": "decided",
            "decision": disclosure.decision,
            "lawful_basis": bases,
            "lawful_basis_other": disclosure.lawful_basis_other,
        },
        disclosure_id=disclosure.pk,
    )
    return disclosure


@transaction.atomic
def disclosure_record_shared(
    *,
    disclosure: Disclosure,
    shared_summary: str,
    shared_at: dt.datetime,
    shared_via: str,
    author: Person,
    documents: Iterable[Document] = (),
    backdate_reason: str = "",
) -> Disclosure:
    """Records what was shared, when and how, and every document issued (the policy)."""
    disclosure = _locked(disclosure)
    if disclosure.decision != Disclosure.Decision.APPROVED:
        raise ValidationError(
            "Nothing may be shared until the headteacher or the DSL has approved it."
        )
    if disclosure.shared_at is not None:
        raise ValidationError("What was shared has already been recorded.")
    shared_summary = shared_summary.strip()
    if not shared_summary:
        raise ValidationError({"shared_summary": "Say what was shared."})
    if shared_via not in Disclosure.SharedVia.values:
        raise ValidationError({"shared_via": "Say how it was shared."})
    now = timezone.now()
    _check_time(field="shared_at", when=shared_at, backdate_reason=backdate_reason, now=now)
    if shared_at < disclosure.request_received_at:
        raise ValidationError({"shared_at": "This is before the request was received."})
    issued = sorted({d.pk: d for d in documents}.values(), key=lambda d: d.pk)
    if any(d.pupil_id != disclosure.pupil_id for d in issued):
        raise ValidationError({"documents": "Choose documents on this pupil's record only."})

    disclosure.shared_summary = shared_summary
    disclosure.shared_at = shared_at
    disclosure.shared_via = shared_via
    disclosure.shared_by_id = author.user_id
    disclosure.shared_by_name = author.name
    disclosure.shared_by_role = author.role
    disclosure.save(
        update_fields=[
            "shared_summary",
            "shared_at",
            "shared_via",
            "shared_by_id",
            "shared_by_name",
            "shared_by_role",
        ]
    )
    disclosure.documents.add(*issued)
    chronology_append(
        pupil=disclosure.pupil,
        kind=ChronologyEntry.Kind.DISCLOSURE,
        author=author,
        title=f"Information shared with {_agency_label(disclosure)}",
        body=shared_summary,
        occurred_at=shared_at,
        backdate_reason=backdate_reason.strip(),
        details={
            "step": "shared",
            "shared_via": shared_via,
            # Each document issued, with the hash of exactly the bytes that were handed over.
            "documents": [
                {"id": d.pk, "original_name": d.original_name, "sha256": d.sha256} for d in issued
            ],
        },
        disclosure_id=disclosure.pk,
    )
    return disclosure


@transaction.atomic
def disclosure_record_child_informed(
    *,
    disclosure: Disclosure,
    informed: bool,
    author: Person,
    informed_at: dt.datetime | None = None,
    informed_by: str = "",
    reason_not_informed: str = "",
    backdate_reason: str = "",
) -> Disclosure:
    """Records that the child was told who is involved and what was shared, or why not."""
    disclosure = _locked(disclosure)
    if not disclosure.decision:
        raise ValidationError("Record the decision on the request first.")
    if disclosure.child_informed is not None:
        raise ValidationError("Whether the child was told has already been recorded.")
    informed_by, reason_not_informed = informed_by.strip(), reason_not_informed.strip()
    now = timezone.now()
    if informed:
        if informed_at is None:
            raise ValidationError({"informed_at": "Say when the child was told."})
        if not informed_by:
            raise ValidationError({"informed_by": "Say who told the child."})
        _check_time(field="informed_at", when=informed_at, backdate_reason=backdate_reason, now=now)
        if informed_at < disclosure.request_received_at:
            raise ValidationError({"informed_at": "This is before the request was received."})
        reason_not_informed = ""
    else:
        if not reason_not_informed:
            raise ValidationError(
                {"reason_not_informed": "Say why the child was not told: it is a decision."}
            )
        informed_at, informed_by, backdate_reason = None, "", ""

    disclosure.child_informed = informed
    disclosure.child_informed_at = informed_at
    disclosure.child_informed_by = informed_by
    disclosure.child_not_informed_reason = reason_not_informed
    disclosure.child_recorded_by_id = author.user_id
    disclosure.child_recorded_by_name = author.name
    disclosure.child_recorded_by_role = author.role
    disclosure.save(
        update_fields=[
            "child_informed",
            "child_informed_at",
            "child_informed_by",
            "child_not_informed_reason",
            "child_recorded_by_id",
            "child_recorded_by_name",
            "child_recorded_by_role",
        ]
    )
    chronology_append(
        pupil=disclosure.pupil,
        kind=ChronologyEntry.Kind.DISCLOSURE,
        author=author,
        title=(
            f"Child told about sharing with {_agency_label(disclosure)}"
            if informed
            else f"Child not told about sharing with {_agency_label(disclosure)}"
        ),
        body=f"Told by {informed_by}." if informed else f"Reason: {reason_not_informed}",
        occurred_at=informed_at or now,
        backdate_reason=backdate_reason.strip(),
        details={
            "step": "child_informed",
            "child_informed": informed,
            "informed_by": informed_by,
        },
        disclosure_id=disclosure.pk,
    )
    return disclosure


# --- reads -------------------------------------------------------------------------------------
# Reads that need the reader's permission; here beside the writes because safeguarding/selectors.py
# is shared across areas.
