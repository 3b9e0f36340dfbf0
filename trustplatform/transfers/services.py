"""Moving a child's safeguarding file from one school of a trust to another (docs/transfers.md).

The one deliberate crossing of school schemas: `transfer_accept` reads the file in the sending
school's schema and writes it into the receiving school's, in ONE database transaction (both
schemas live in the same database; the connection's search_path is switched inside it). Either
the whole file arrives and the sending copy becomes read-only, or nothing changes on either side;
a document copied into storage before a failure is removed again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from safeguarding.models import (
    Action,
    Agency,
    AgencyContact,
    Category,
    ChronologyEntry,
    Concern,
    Disclosure,
    Document,
    Pupil,
)
from safeguarding.storage import document_storage, document_upload_to
from tenants.addresses import site_url
from tenants.models import School
from trustplatform.accounts.models import Role, SchoolMembership, User
from trustplatform.audit.models import AuditAction
from trustplatform.audit.services import audit_record
from trustplatform.hashchain import GENESIS_HASH, chain_append, chain_lock_key, row_hash_of
from trustplatform.outbox.registry import Email, outbox_kind_register
from trustplatform.outbox.services import outbox_add_many
from trustplatform.schooldays.calendar import calendar_of
from trustplatform.statistics.services import statistics_refresh_soon
from trustplatform.transfers.models import Transfer, TransferNotice

# KCSIE: the file follows the child within 5 school days of the move or of the start of the new
# term (docs/transfers.md, "Deadline").
TRANSFER_SCHOOL_DAYS = 5
NOTICE_EMAIL = "transfer_notice"
# Who is told, and who may start, see, accept or reject a transfer: the DSL and the deputies.
TRANSFER_ROLES = (Role.DSL, Role.DEPUTY_DSL)


class TransferRefused(ValidationError):
    """The file cannot move (or arrive) as asked; nothing was changed on either side."""


def transfer_destinations(*, school: School) -> models.QuerySet[School]:
    """The schools a file may go to from `school`: the trust's other active schools."""
    return School.objects.filter(trust_id=school.trust_id, status=School.Status.ACTIVE).exclude(
        pk=school.pk
    )


def transfer_due_at(*, school: School, moved_on: dt.date) -> dt.datetime:
    """5 school days of the sending school's calendar from the start of the day of the move."""
    calendar = calendar_of(school)
    start = timezone.make_aware(dt.datetime.combine(moved_on, dt.time.min))
    return calendar.add_school_days(start, TRANSFER_SCHOOL_DAYS)


def _leads_of(school: School) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            school_memberships__school=school,
            school_memberships__role__in=[r.value for r in TRANSFER_ROLES],
        ).order_by("pk")
    )


def _notify(transfer: Transfer, *, schools: list[School], reason: TransferNotice.Reason) -> None:
    notice_ids = []
    for school in schools:
        for user in _leads_of(school):
            notice, _ = TransferNotice.objects.get_or_create(
                transfer=transfer, recipient=user, reason=reason, defaults={"school": school}
            )
            notice_ids.append(notice.pk)
    # The notices and their outbox rows live in the public schema, whichever school asked.
    with schema_context(get_public_schema_name()):
        outbox_add_many(kind=NOTICE_EMAIL, object_ids=notice_ids)


@transaction.atomic
def transfer_start(
    *, actor: User, school: School, pupil: Pupil, to_school_id: int, moved_on: dt.date
) -> Transfer:
    """Starts moving `pupil`'s file (read in `school`, the current schema) to another school."""
    to_school = transfer_destinations(school=school).filter(pk=to_school_id).first()
    if to_school is None:
        raise TransferRefused("Choose another school of the trust.")
    if pupil.transferred_out_at is not None:
        raise TransferRefused("This pupil's file has already moved to another school.")
    if Transfer.objects.filter(
        from_school=school, pupil_id=pupil.pk, status=Transfer.Status.PENDING
    ).exists():
        raise TransferRefused("A transfer of this pupil's file is already waiting.")
    transfer = Transfer.objects.create(
        trust_id=school.trust_id,
        from_school=school,
        to_school=to_school,
        pupil_id=pupil.pk,
        upn=pupil.upn,
        moved_on=moved_on,
        due_at=transfer_due_at(school=school, moved_on=moved_on),
        started_by=actor,
    )
    audit_record(
        action=AuditAction.TRANSFER_STARTED,
        actor=actor,
        school=school,
        target_type="transfer",
        target_id=transfer.pk,
        data={"to_school_id": to_school.pk, "pupil_id": pupil.pk},
    )
    _notify(transfer, schools=[to_school], reason=TransferNotice.Reason.STARTED)
    return transfer


def _pending_for(*, school: School, transfer_id: int) -> Transfer:
    """The pending transfer to `school`, locked; the same error for missing and not yours."""
    transfer = (
        Transfer.objects.select_for_update()
        .filter(pk=transfer_id, to_school=school, status=Transfer.Status.PENDING)
        .select_related("from_school", "to_school")
        .first()
    )
    if transfer is None:
        raise ObjectDoesNotExist("No such transfer waits for this school.")
    return transfer


@transaction.atomic
def transfer_reject(*, actor: User, school: School, transfer_id: int, reason: str) -> Transfer:
    if not reason.strip():
        raise TransferRefused("Say why the file is rejected.")
    transfer = _pending_for(school=school, transfer_id=transfer_id)
    transfer.status = Transfer.Status.REJECTED
    transfer.rejection_reason = reason.strip()
    transfer.decided_at = timezone.now()
    transfer.decided_by = actor
    transfer.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by"])
    for side in (transfer.to_school, transfer.from_school):
        audit_record(
            action=AuditAction.TRANSFER_REJECTED,
            actor=actor,
            school=side,
            target_type="transfer",
            target_id=transfer.pk,
        )
    return transfer


# --- the copy -----------------------------------------------------------------------------------


def _values(row: models.Model, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A row's concrete column values by attname, without its id and the names in `exclude`."""
    return {
        f.attname: getattr(row, f.attname)
        for f in row._meta.concrete_fields
        if not f.primary_key and f.name not in exclude and f.attname not in exclude
    }


@dataclass
class _File:
    """Everything of one pupil's file, read in the sending school."""

    pupil: Pupil
    chain_head: str
    concerns: list[Concern] = field(default_factory=list)
    concern_categories: dict[int, list[Category]] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    documents: list[tuple[Document, bytes]] = field(default_factory=list)
    disclosures: list[tuple[Disclosure, list[int]]] = field(default_factory=list)
    entries: list[ChronologyEntry] = field(default_factory=list)


def _entry_hash_matches(entry: ChronologyEntry) -> bool:
    values = {name: entry.serializable_value(name) for name in ChronologyEntry.hashed_fields}
    return row_hash_of(ChronologyEntry, values, entry.prev_hash) == entry.row_hash


def _read_file(*, school: School, pupil_id: int, after_entry_id: int | None = None) -> _File:
    """Reads (and locks) the pupil's file in the current schema, `school`'s; for a supplement
    (`after_entry_id` given), only the chronology entries recorded after that one."""
    pupil = Pupil.objects.select_for_update().filter(pk=pupil_id).first()
    if pupil is None:
        raise ObjectDoesNotExist("The pupil is no longer in the sending school.")
    if after_entry_id is None and pupil.transferred_out_at is not None:
        raise TransferRefused("This pupil's file has already moved to another school.")
    head = ChronologyEntry.objects.order_by("-pk").values_list("row_hash", flat=True).first()
    file = _File(pupil=pupil, chain_head=head or GENESIS_HASH)
    if after_entry_id is not None:
        file.entries = list(
            ChronologyEntry.objects.filter(pupil=pupil, pk__gt=after_entry_id).order_by("pk")
        )
        _check_hashes(file.entries)
        return file
    # Allegations against staff are never part of a child's file (KCSIE Part 4).
    file.concerns = list(
        Concern.objects.filter(pupils=pupil, allegation__isnull=True).order_by("pk")
    )
    for concern in Concern.objects.filter(pk__in=[c.pk for c in file.concerns]).prefetch_related(
        "categories"
    ):
        file.concern_categories[concern.pk] = list(concern.categories.all())
    file.actions = list(Action.objects.filter(concern__in=file.concerns).order_by("pk"))
    storage = document_storage()
    for document in Document.objects.filter(pupil=pupil).order_by("pk"):
        with storage.open(document.file.name, "rb") as handle:
            data = handle.read()
        if hashlib.sha256(data).hexdigest() != document.sha256:
            raise TransferRefused("A document of the file is not the file that was stored.")
        file.documents.append((document, data))
    for disclosure in (
        Disclosure.objects.filter(pupil=pupil)
        .select_related("agency", "contact")
        .prefetch_related("documents")
        .order_by("pk")
    ):
        file.disclosures.append((disclosure, [d.pk for d in disclosure.documents.all()]))
    file.entries = list(ChronologyEntry.objects.filter(pupil=pupil).order_by("pk"))
    _check_hashes(file.entries)
    return file


def _check_hashes(entries: list[ChronologyEntry]) -> None:
    for entry in entries:
        if not _entry_hash_matches(entry):
            raise TransferRefused(
                "An entry of the chronology does not match its hash: the file was not moved."
            )


def _category_in_here(category: Category) -> Category:
    """The receiving school's category of the same code (or name); a retired copy if none."""
    found = (
        Category.objects.filter(code=category.code).first()
        if category.code
        else Category.objects.filter(name=category.name, parent__isnull=True).first()
    )
    if found is not None:
        return found
    copy = Category(**_values(category, exclude=frozenset({"parent", "code"})))
    copy.retired_at = copy.retired_at or timezone.now()
    copy.save()
    return copy


def _agency_in_here(agency: Agency) -> Agency:
    found = Agency.objects.filter(name=agency.name).first()
    if found is not None:
        return found
    copy = Agency(**_values(agency))
    copy.save()
    return copy


def _contact_in_here(contact: AgencyContact, agency: Agency) -> AgencyContact:
    found = AgencyContact.objects.filter(agency=agency, name=contact.name).first()
    if found is not None:
        return found
    copy = AgencyContact(**_values(contact, exclude=frozenset({"agency"})), agency=agency)
    copy.save()
    return copy


def document_copy_put(data: bytes) -> str:
    """Stores a copy of a document's bytes under the current school's prefix; its stored name."""
    storage = document_storage()
    return storage.save(document_upload_to(None, ""), ContentFile(data))


def _receive_pupil(file: _File, *, origin: School, now: dt.datetime) -> Pupil:
    """The pupil in the receiving school (the current schema): matched on UPN, or created."""
    source = file.pupil
    pupil = Pupil.objects.select_for_update().filter(upn=source.upn).first()
    transfer_marks = frozenset(
        {
            "transferred_out_at",
            "transferred_out_to",
            "transferred_out_by_name",
            "transferred_in_at",
            "transferred_in_from",
            "created_at",
            "updated_at",
        }
    )
    if pupil is None:
        pupil = Pupil(**_values(source, exclude=transfer_marks))
        pupil.leaving_date = None
    # The safeguarding flags follow the child; each change's entry travels in the chronology.
    for flag in Pupil.SAFEGUARDING_FLAGS:
        if getattr(source, flag) and not getattr(pupil, flag):
            setattr(pupil, flag, True)
            since = f"{flag}_since"
            setattr(pupil, since, getattr(source, since))
    pupil.transferred_in_at = now
    pupil.transferred_in_from = origin.name
    # A child who comes back: the record here is theirs again.
    pupil.transferred_out_at = None
    pupil.transferred_out_to = ""
    pupil.transferred_out_by_name = ""
    pupil.save()
    return pupil


def _write_file(
    file: _File, *, origin: School, now: dt.datetime, stored: list[str], supplement: bool = False
) -> Pupil:
    """Writes the file into the current schema (the receiving school's); returns its pupil.
    Every stored document's name is added to `stored` as soon as it exists. A supplement goes
    to the pupil the file went to, as more chronology entries."""
    if supplement:
        received = Pupil.objects.select_for_update().filter(upn=file.pupil.upn).first()
        if received is None:
            raise TransferRefused("The pupil is no longer on this school's records.")
        _append_entries(file, pupil=received, origin=origin, ids={})
        return received
    pupil = _receive_pupil(file, origin=origin, now=now)
    concern_ids: dict[int, int] = {}
    for concern in file.concerns:
        copy = Concern(
            **_values(concern, exclude=frozenset({"supersedes", "notify_user_ids"})),
            supersedes_id=concern_ids.get(concern.supersedes_id or 0),
        )
        copy.save()
        copy.pupils.set([pupil])  # never the other children a concern named
        copy.categories.set(
            [_category_in_here(c) for c in file.concern_categories.get(concern.pk, [])]
        )
        concern_ids[concern.pk] = copy.pk
    action_ids: dict[int, int] = {}
    for action in file.actions:
        # Assigned to someone of the sending school: the name stays, the task does not follow.
        copy_action = Action(
            **_values(action, exclude=frozenset({"concern", "assignee_id"})),
            concern_id=concern_ids[action.concern_id],
        )
        copy_action.save()
        action_ids[action.pk] = copy_action.pk
    document_ids: dict[int, int] = {}
    for document, data in file.documents:
        name = document_copy_put(data)
        stored.append(name)
        copy_document = Document(
            **_values(document, exclude=frozenset({"pupil", "concern", "file"})),
            pupil=pupil,
            concern_id=concern_ids.get(document.concern_id or 0),
            file=name,
        )
        copy_document.save(force_insert=True)
        document_ids[document.pk] = copy_document.pk
    disclosure_ids: dict[int, int] = {}
    for disclosure, shared_documents in file.disclosures:
        agency = _agency_in_here(disclosure.agency)
        contact = _contact_in_here(disclosure.contact, agency) if disclosure.contact else None
        copy_disclosure = Disclosure(
            **_values(disclosure, exclude=frozenset({"pupil", "agency", "contact"})),
            pupil=pupil,
            agency=agency,
            contact=contact,
        )
        copy_disclosure.save(force_insert=True)
        copy_disclosure.documents.set(
            [document_ids[d] for d in shared_documents if d in document_ids]
        )
        disclosure_ids[disclosure.pk] = copy_disclosure.pk
    _append_entries(
        file,
        pupil=pupil,
        origin=origin,
        ids={
            "concern": concern_ids,
            "action": action_ids,
            "document": document_ids,
            "disclosure": disclosure_ids,
        },
    )
    return pupil


def _append_entries(
    file: _File, *, pupil: Pupil, origin: School, ids: dict[str, dict[int, int]]
) -> None:
    """Appended last and in the sending chain's order: the receiving chain grows by these entries
    and stays valid; each keeps its origin and the hash it had there."""
    concern_ids, action_ids = ids.get("concern", {}), ids.get("action", {})
    document_ids, disclosure_ids = ids.get("document", {}), ids.get("disclosure", {})
    entry_ids: dict[int, int] = {}
    for entry in file.entries:
        values = _values(
            entry,
            exclude=frozenset(
                {
                    "pupil",
                    "concern",
                    "action",
                    "supersedes",
                    "document_id",
                    "disclosure_id",
                    "prev_hash",
                    "row_hash",
                    "details",
                }
            ),
        )
        copy_entry = chain_append(
            ChronologyEntry,
            **values,
            pupil=pupil,
            details={
                **entry.details,
                "transferred_from": {
                    "school": origin.name,
                    "entry_id": entry.pk,
                    "row_hash": entry.row_hash,
                },
            },
            concern_id=concern_ids.get(entry.concern_id or 0),
            action_id=action_ids.get(entry.action_id or 0),
            document_id=document_ids.get(entry.document_id or 0),
            disclosure_id=disclosure_ids.get(entry.disclosure_id or 0),
            supersedes_id=entry_ids.get(entry.supersedes_id or 0),
        )
        entry_ids[entry.pk] = copy_entry.pk


def _remove_stored(names: list[str]) -> None:
    storage = document_storage()
    for name in names:
        storage.delete(name)


def _lock_both_chains(*schools: School) -> None:
    """Takes the chronology chain lock of both schools, always in the same order, so that two
    transfers crossing in opposite directions wait for each other instead of deadlocking. The
    sending chain stands still while it is read (every writer of it takes this lock); the
    receiving chain's appends below find the lock already held."""
    keys = sorted(
        chain_lock_key(school.schema_name, ChronologyEntry._meta.db_table) for school in schools
    )
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def transfer_accept(*, actor: User, school: School, transfer_id: int) -> Transfer:
    """The receiving school takes the file: copied whole in one transaction, or not at all."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            transfer = _pending_for(school=school, transfer_id=transfer_id)
            origin = transfer.from_school
            now = timezone.now()
            # Locks in the order every writer takes them: the pupil's rows (as chronology_append
            # does), then the chains.
            with schema_context(origin.schema_name):
                list(Pupil.objects.select_for_update().filter(pk=transfer.pupil_id).values("pk"))
            with schema_context(school.schema_name):
                list(Pupil.objects.select_for_update().filter(upn=transfer.upn).values("pk"))
            _lock_both_chains(origin, school)
            supplement = transfer.kind == Transfer.Kind.SUPPLEMENT
            after = _copied_up_to(transfer) if supplement else None
            with schema_context(origin.schema_name):
                file = _read_file(school=origin, pupil_id=transfer.pupil_id, after_entry_id=after)
            with schema_context(school.schema_name):
                pupil = _write_file(
                    file, origin=origin, now=now, stored=stored, supplement=supplement
                )
            if not supplement:
                with schema_context(origin.schema_name):
                    # Read-only from now on (safeguarding/services/chronology.py refuses new
                    # records).
                    Pupil.objects.filter(pk=file.pupil.pk).update(
                        transferred_out_at=now,
                        transferred_out_to=school.name,
                        transferred_out_by_name=actor.full_name,
                    )
            transfer.status = Transfer.Status.ACCEPTED
            transfer.decided_at = now
            transfer.decided_by = actor
            transfer.received_pupil_id = pupil.pk
            transfer.origin_chain_head = file.chain_head
            transfer.entries_copied = len(file.entries)
            transfer.last_entry_id = max((e.pk for e in file.entries), default=after)
            transfer.documents_copied = len(file.documents)
            transfer.save()
            data: dict[str, object] = {
                "entries": len(file.entries),
                "documents": len(file.documents),
                "origin_chain_head": file.chain_head,
            }
            audit_record(
                action=AuditAction.TRANSFER_RECEIVED,
                actor=actor,
                school=school,
                target_type="transfer",
                target_id=transfer.pk,
                data=data | {"pupil_id": pupil.pk, "from_school_id": origin.pk},
            )
            audit_record(
                action=AuditAction.TRANSFER_SENT,
                actor=actor,
                school=origin,
                target_type="transfer",
                target_id=transfer.pk,
                data=data | {"pupil_id": file.pupil.pk, "to_school_id": school.pk},
            )
            # Both schools' figures change: the concerns that moved are the receiving school's
            # work now (safeguarding.models.moved_with_the_file). Refreshed once committed.
            statistics_refresh_soon(origin.schema_name)
            statistics_refresh_soon(school.schema_name)
    except BaseException:
        # The rows are rolled back; the copied files are not part of the transaction.
        _remove_stored(stored)
        raise
    return transfer


# --- later information ---


def _copied_up_to(transfer: Transfer) -> int:
    """The last of the sending school's entries of the pupil already copied to that school."""
    copied = (
        Transfer.objects.filter(
            from_school_id=transfer.from_school_id,
            to_school_id=transfer.to_school_id,
            pupil_id=transfer.pupil_id,
            status=Transfer.Status.ACCEPTED,
        )
        .exclude(last_entry_id__isnull=True)
        .order_by("-last_entry_id")
        .values_list("last_entry_id", flat=True)
        .first()
    )
    return copied or 0


@transaction.atomic
def supplement_record(
    *, actor: User, school: School, pupil: Pupil, body: str, title: str = ""
) -> Transfer:
    """Something the sending school learnt after the file left (the current schema is
    `school`'s): recorded in its chronology, the one record a transferred-out pupil may still
    get, and forwarded to the school that received the file (docs/transfers.md)."""
    if not body.strip():
        raise TransferRefused("Write what was learnt.")
    received = (
        Transfer.objects.filter(
            from_school=school,
            pupil_id=pupil.pk,
            status=Transfer.Status.ACCEPTED,
            kind=Transfer.Kind.FILE,
        )
        .select_related("to_school")
        .order_by("-decided_at")
        .first()
    )
    if received is None or pupil.transferred_out_at is None:
        raise TransferRefused("This pupil's file has not moved to another school.")
    role = (
        SchoolMembership.objects.filter(user=actor, school=school)
        .values_list("role", flat=True)
        .first()
    )
    now = timezone.now()
    chain_append(
        ChronologyEntry,
        pupil=pupil,
        kind=ChronologyEntry.Kind.NOTE,
        occurred_at=now,
        recorded_at=now,
        author_id=actor.pk,
        author_name=actor.full_name,
        author_role=role or "",
        title=(title.strip() or "Later information, forwarded to the new school")[:200],
        body=body.strip(),
        details={"supplement_to": received.to_school.name},
    )
    # One waiting supplement at a time: what is added meanwhile travels with it.
    pending = (
        Transfer.objects.select_for_update()
        .filter(from_school=school, pupil_id=pupil.pk, status=Transfer.Status.PENDING)
        .first()
    )
    if pending is not None:
        return pending
    today = timezone.localdate()
    transfer = Transfer.objects.create(
        kind=Transfer.Kind.SUPPLEMENT,
        trust_id=school.trust_id,
        from_school=school,
        to_school=received.to_school,
        pupil_id=pupil.pk,
        upn=pupil.upn,
        moved_on=today,
        due_at=transfer_due_at(school=school, moved_on=today),
        started_by=actor,
    )
    audit_record(
        action=AuditAction.TRANSFER_STARTED,
        actor=actor,
        school=school,
        target_type="transfer",
        target_id=transfer.pk,
        data={"to_school_id": received.to_school_id, "pupil_id": pupil.pk, "supplement": True},
    )
    _notify(transfer, schools=[received.to_school], reason=TransferNotice.Reason.STARTED)
    return transfer


# --- deadlines ----------------------------------------------------------------------------------


def transfers_escalate_overdue(*, now: dt.datetime | None = None) -> list[int]:
    """Tells both schools' DSLs, once, of each transfer still waiting past its deadline."""
    now = now or timezone.now()
    escalated = []
    for transfer_id in Transfer.objects.filter(
        status=Transfer.Status.PENDING, due_at__lt=now, escalated_at__isnull=True
    ).values_list("pk", flat=True):
        with transaction.atomic():
            # Claimed by a conditional UPDATE: two runs never escalate the same transfer twice.
            claimed = Transfer.objects.filter(
                pk=transfer_id, status=Transfer.Status.PENDING, escalated_at__isnull=True
            ).update(escalated_at=now)
            if not claimed:
                continue
            transfer = Transfer.objects.select_related("from_school", "to_school").get(
                pk=transfer_id
            )
            _notify(
                transfer,
                schools=[transfer.to_school, transfer.from_school],
                reason=TransferNotice.Reason.OVERDUE,
            )
            for side in (transfer.from_school, transfer.to_school):
                audit_record(
                    action=AuditAction.TRANSFER_OVERDUE,
                    school=side,
                    target_type="transfer",
                    target_id=transfer.pk,
                )
            escalated.append(transfer_id)
    return escalated


# --- the email ----------------------------------------------------------------------------------


def notice_email(notice_id: int) -> Email | None:
    """A notice names the schools and links to the page; never the child (docs/transfers.md)."""
    notice = (
        TransferNotice.objects.filter(pk=notice_id)
        .select_related("transfer__from_school", "transfer__to_school", "recipient", "school")
        .first()
    )
    if notice is None or not notice.recipient.is_active:
        return None
    transfer = notice.transfer
    if not SchoolMembership.objects.filter(
        user=notice.recipient, school=notice.school, role__in=[r.value for r in TRANSFER_ROLES]
    ).exists():
        return None  # no longer a lead there
    link = site_url(notice.school, f"/transfers/{transfer.pk}/")
    if notice.reason == TransferNotice.Reason.STARTED:
        if transfer.status != Transfer.Status.PENDING:
            return None
        subject = (
            f"Later safeguarding information from {transfer.from_school.name} is waiting"
            if transfer.kind == Transfer.Kind.SUPPLEMENT
            else f"A safeguarding file from {transfer.from_school.name} is waiting"
        )
        body = (
            f"{transfer.from_school.name} has sent the safeguarding file of a pupil who is moving "
            f"to {transfer.to_school.name}.\n\nOpen it to accept or reject it: {link}\n\n"
            f"It is due by {timezone.localtime(transfer.due_at):%d %B %Y}.\n"
        )
    else:
        subject = "A safeguarding file transfer is overdue"
        body = (
            f"The safeguarding file moving from {transfer.from_school.name} to "
            f"{transfer.to_school.name} has not been received within {TRANSFER_SCHOOL_DAYS} "
            f"school days.\n\nSee it here: {link}\n"
        )
    body += "\nThis email names no child: sign in to see the transfer."
    return Email(subject=subject, body=body, to=[notice.recipient.email])


outbox_kind_register(NOTICE_EMAIL, render=notice_email)
