"""Moving a child's safeguarding file between two schools of a trust (docs/transfers.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.models import (
    AccessLogEntry,
    Action,
    Agency,
    ChronologyEntry,
    Concern,
    Disclosure,
    Document,
    Pupil,
)
from safeguarding.selectors.dashboard import transfers_overdue_here
from safeguarding.services.chronology import Person, note_record
from safeguarding.services.concerns import action_add, concern_correct, concern_record
from safeguarding.services.documents import document_upload
from safeguarding.services.sharing import agency_create, disclosure_request_record
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids
from tests.safeguarding.fixtures import enrol, flag_set
from tests.safeguarding.test_documents import PDF, PNG, upload
from trustplatform.accounts.models import Role
from trustplatform.audit.models import AuditAction, AuditEvent
from trustplatform.hashchain import chain_verify
from trustplatform.transfers.models import Transfer, TransferNotice
from trustplatform.transfers.services import (
    TransferRefused,
    supplement_record,
    transfer_accept,
    transfer_reject,
    transfer_start,
    transfers_escalate_overdue,
)

# Serials of this module's pupils: distinct from every other test's.
SERIAL = 81650


@pytest.fixture
def documents_root(settings: SettingsWrapper, tmp_path: Path) -> Path:
    root = tmp_path / "documents"
    settings.SCHOOL_DOCUMENTS_ROOT = root
    settings.CLAMD_SOCKET = ""
    return root


def person_of(world: World, place: str, role: Role) -> Person:
    user = world.person(place, role)
    return Person(user_id=user.pk, name=user.full_name, role=role.value)


def a_file(world: World, school: School, serial: int = SERIAL) -> Pupil:
    """A pupil of `school` with a whole file: a corrected concern, an action, two documents,
    an agency's request, a note and a flag (all through the services)."""
    dsl = person_of(world, "a", Role.DSL)
    with schema_context(school.schema_name):
        pupil = enrol(first="Isolde", last="Penhallow", serial=serial)
        concern = concern_record(
            school=school,
            author=person_of(world, "a", Role.STAFF),
            pupil_ids=[pupil.pk],
            category_ids=category_ids("neglect"),
            account="Arrived without a coat again; said there was no food at home.",
        )
        concern = concern_correct(
            concern=concern,
            actor=dsl,
            account="Arrived without a coat again; said there was no breakfast at home.",
            reason="Breakfast, not food: checked with the teacher.",
        )
        action_add(
            concern=concern,
            actor=dsl,
            kind=Action.Kind.PARENTS_INFORMED,
            description="Call home",
            due_on=dt.date(2026, 12, 4),
        )
        document_upload(
            pupil=pupil,
            uploaded_file=upload("minutes.pdf", PDF),
            overview="Minutes of the meeting",
            author=dsl,
            concern=concern,
        )
        document_upload(
            pupil=pupil, uploaded_file=upload("photo.png", PNG), overview="Photo", author=dsl
        )
        agency = agency_create(
            author=dsl, name="Northshire MASH", kind=Agency.Kind.CHILDRENS_SOCIAL_CARE
        )
        disclosure_request_record(
            pupil=pupil,
            agency=agency,
            requested_by="A social worker",
            request_summary="Attendance and concerns this term",
            request_received_at=timezone.now(),
            author=dsl,
        )
        note_record(pupil=pupil, author=dsl, occurred_at=timezone.now(), body="Spoke to the nurse.")
        flag_set(pupil, "child_in_need_plan")
    return pupil


def schema_checksum(schema: str) -> dict[str, str]:
    """An MD5 of every row of every table of the schema, by table."""
    sums = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name",
            [schema],
        )
        for (table,) in cursor.fetchall():
            cursor.execute(
                f"SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "  # noqa: S608
                f'FROM "{schema}"."{table}" t'
            )
            sums[table] = cursor.fetchone()[0]
    return sums


def files_checksum(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def everything(world: World, root: Path) -> tuple[Any, ...]:
    public = {
        table: total
        for table, total in schema_checksum("public").items()
        if table.startswith("transfers_")
    }
    return (
        schema_checksum(world.school_a.schema_name),
        schema_checksum(world.school_b.schema_name),
        public,
        files_checksum(root),
    )


def start(world: World, pupil: Pupil, to: School | None = None) -> Transfer:
    with schema_context(world.school_a.schema_name):
        return transfer_start(
            actor=world.person("a", Role.DSL),
            school=world.school_a,
            pupil=pupil,
            to_school_id=(to or world.school_b).pk,
            moved_on=timezone.localdate(),
        )


def verified(schema: str) -> str:
    out = StringIO()
    call_command("verify_chronology", stdout=out)
    return next(line for line in out.getvalue().splitlines() if line.startswith(schema))


def test_an_accepted_transfer_copies_the_whole_file_and_both_chains_stay_valid(
    world: World, school_a: School, documents_root: Path
) -> None:
    pupil = a_file(world, school_a)
    with schema_context(school_a.schema_name):
        sent_entries = list(ChronologyEntry.objects.filter(pupil=pupil).order_by("pk"))
        head = ChronologyEntry.objects.order_by("-pk").first()
        assert head is not None
    transfer = start(world, pupil)
    accepted = transfer_accept(
        actor=world.person("b", Role.DEPUTY_DSL), school=world.school_b, transfer_id=transfer.pk
    )

    assert accepted.status == Transfer.Status.ACCEPTED
    assert accepted.origin_chain_head == head.row_hash
    assert (accepted.entries_copied, accepted.documents_copied) == (len(sent_entries), 2)
    with schema_context(world.school_b.schema_name):
        received = Pupil.objects.get(upn=pupil.upn)
        assert received.transferred_in_from == school_a.name
        assert received.child_in_need_plan
        entries = list(ChronologyEntry.objects.filter(pupil=received).order_by("pk"))
        assert [(e.kind, e.title, e.body) for e in entries] == [
            (e.kind, e.title, e.body) for e in sent_entries
        ]
        assert [e.details["transferred_from"]["row_hash"] for e in entries] == [
            e.row_hash for e in sent_entries
        ]
        # The correction still supersedes the concern it corrected, in the new school.
        corrected = Concern.objects.get(pupils=received, supersedes__isnull=False)
        assert corrected.supersedes is not None
        assert corrected.supersedes.pupils.get() == received
        assert Action.objects.filter(concern=corrected).count() == 1
        documents = {d.original_name: d for d in Document.objects.filter(pupil=received)}
        assert documents["minutes.pdf"].file.read() == PDF
        assert documents["minutes.pdf"].file.name.startswith(world.school_b.schema_name + "/")
        assert documents["minutes.pdf"].concern == corrected
        assert Disclosure.objects.get(pupil=received).agency.name == "Northshire MASH"
        assert chain_verify(ChronologyEntry) is None
    with schema_context(school_a.schema_name):
        assert chain_verify(ChronologyEntry) is None
        sent = Pupil.objects.get(pk=pupil.pk)
        assert sent.transferred_out_to == world.school_b.name
        # The sending copy is read-only: a new record for the pupil is refused.
        with pytest.raises(ValidationError, match="read-only"):
            note_record(
                pupil=sent,
                author=person_of(world, "a", Role.DSL),
                occurred_at=timezone.now(),
                body="Later news",
            )
        # Nor a concern about them and a child still here: nothing of it is written.
        sibling = enrol(first="Ottilie", last="Penhallow", serial=SERIAL + 30)
        with pytest.raises(ValidationError, match="read-only"):
            concern_record(
                school=school_a,
                author=person_of(world, "a", Role.STAFF),
                pupil_ids=[sibling.pk, sent.pk],
                category_ids=category_ids("neglect"),
                account="Both arrived without coats.",
            )
        assert not Concern.objects.filter(account="Both arrived without coats.").exists()
    assert "intact" in verified(school_a.schema_name)
    assert "intact" in verified(world.school_b.schema_name)
    audited = set(
        AuditEvent.objects.filter(target_type="transfer", target_id=str(transfer.pk)).values_list(
            "action", "school_id"
        )
    )
    assert (AuditAction.TRANSFER_SENT, school_a.pk) in audited
    assert (AuditAction.TRANSFER_RECEIVED, world.school_b.pk) in audited


class FailingSecondSave(FileSystemStorage):
    """A storage whose second write fails, as a full disk or a lost bucket would."""

    saves = 0

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        type(self).saves += 1
        if type(self).saves == 2:
            raise OSError("No space left on device")
        return super().save(name, content, max_length=max_length)


def test_a_transfer_failing_half_way_leaves_both_schools_exactly_as_before(
    world: World, school_a: School, documents_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pupil = a_file(world, school_a, serial=SERIAL + 1)
    transfer = start(world, pupil)
    before = everything(world, documents_root)
    FailingSecondSave.saves = 0
    monkeypatch.setattr(
        "trustplatform.transfers.services.document_storage",
        lambda: FailingSecondSave(location=str(documents_root)),
    )

    with pytest.raises(OSError, match="No space left"):
        transfer_accept(
            actor=world.person("b", Role.DSL), school=world.school_b, transfer_id=transfer.pk
        )

    # The first document was copied and the concern rows written before the second copy failed.
    assert FailingSecondSave.saves == 2
    assert everything(world, documents_root) == before
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.PENDING


def test_an_entry_changed_in_the_sending_database_refuses_the_transfer(
    as_owner: None, world: World, school_a: School, documents_root: Path
) -> None:
    pupil = a_file(world, school_a, serial=SERIAL + 2)
    transfer = start(world, pupil)
    with schema_context(school_a.schema_name), connection.cursor() as cursor:
        entry = ChronologyEntry.objects.filter(pupil=pupil).first()
        assert entry is not None
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE safeguarding_chronologyentry DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE safeguarding_chronologyentry SET body = 'nothing happened' WHERE id = %s",
            [entry.pk],
        )
        cursor.execute("ALTER TABLE safeguarding_chronologyentry ENABLE TRIGGER USER")
    before = everything(world, documents_root)

    with pytest.raises(TransferRefused, match="does not match its hash"):
        transfer_accept(
            actor=world.person("b", Role.DSL), school=world.school_b, transfer_id=transfer.pk
        )

    assert everything(world, documents_root) == before


def test_only_another_school_of_the_same_trust_can_receive(
    world: World, school_a: School, documents_root: Path
) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(serial=SERIAL + 3)
    with pytest.raises(TransferRefused):
        start(world, pupil, to=world.school_c)
    with pytest.raises(TransferRefused):
        start(world, pupil, to=world.school_a)
    transfer = start(world, pupil)
    # School C's DSL cannot accept a transfer meant for school B.
    with pytest.raises(ObjectDoesNotExist):
        transfer_accept(
            actor=world.person("c", Role.DSL), school=world.school_c, transfer_id=transfer.pk
        )


def test_a_rejected_transfer_keeps_the_file_where_it_was_with_the_reason(
    world: World, school_a: School, documents_root: Path
) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(serial=SERIAL + 4)
    transfer = start(world, pupil)
    with pytest.raises(TransferRefused):
        transfer_reject(
            actor=world.person("b", Role.DSL),
            school=world.school_b,
            transfer_id=transfer.pk,
            reason=" ",
        )
    rejected = transfer_reject(
        actor=world.person("b", Role.DSL),
        school=world.school_b,
        transfer_id=transfer.pk,
        reason="The child is not on our admissions list.",
    )
    assert rejected.status == Transfer.Status.REJECTED
    with schema_context(school_a.schema_name):
        assert Pupil.objects.get(pk=pupil.pk).transferred_out_at is None
    with schema_context(world.school_b.schema_name):
        assert not Pupil.objects.filter(upn=pupil.upn).exists()


def test_the_receiving_leads_are_emailed_a_link_and_never_the_childs_name(
    world: World,
    school_a: School,
    documents_root: Path,
    tasks_run_when_sent: None,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(first="Marigold", last="Quenby", serial=SERIAL + 5)
    with django_capture_on_commit_callbacks(execute=True):
        transfer = start(world, pupil)
    sent = [m for m in mail.outbox if f"/transfers/{transfer.pk}/" in m.body]
    recipients = {address for m in sent for address in m.to}
    assert recipients == {
        world.person("b", Role.DSL).email,
        world.person("b", Role.DEPUTY_DSL).email,
    }
    for message in sent:
        text = f"{message.subject} {message.body}"
        assert "Marigold" not in text
        assert "Quenby" not in text
        assert pupil.upn not in text


def test_an_overdue_transfer_shows_on_both_dashboards_and_escalates_once(
    world: World, school_a: School, documents_root: Path
) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(serial=SERIAL + 6)
    transfer = start(world, pupil)
    # Five school days: at the latest 5 weekdays plus a bank-holiday week later.
    with time_machine.travel(transfer.due_at + dt.timedelta(hours=1)):
        with schema_context(school_a.schema_name):
            assert [t.pk for t in transfers_overdue_here(school=school_a)] == [transfer.pk]
        with schema_context(world.school_b.schema_name):
            assert [t.pk for t in transfers_overdue_here(school=world.school_b)] == [transfer.pk]
        with schema_context(world.school_c.schema_name):
            assert transfers_overdue_here(school=world.school_c) == []
        assert transfers_escalate_overdue() == [transfer.pk]
        assert transfers_escalate_overdue() == []
    told = set(
        TransferNotice.objects.filter(
            transfer=transfer, reason=TransferNotice.Reason.OVERDUE
        ).values_list("recipient_id", flat=True)
    )
    assert told == {
        world.person(place, role).pk for place in ("a", "b") for role in (Role.DSL, Role.DEPUTY_DSL)
    }
    assert transfer.due_at.date() >= transfer.moved_on + dt.timedelta(days=7)


def test_a_transfer_is_seen_only_on_the_sites_of_its_two_schools(
    world: World, school_a: School, documents_root: Path
) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(serial=SERIAL + 7)
    transfer = start(world, pupil)
    path = f"/transfers/{transfer.pk}/"
    receiving = school_client(world.school_b, world.person("b", Role.DEPUTY_DSL)).get(path)
    assert receiving.status_code == 200
    assert b"Accept the file" in receiving.content
    sending = school_client(world.school_a, world.person("a", Role.DSL)).get(path)
    assert sending.status_code == 200
    assert b"Accept the file" not in sending.content
    # The DSL of a school that is not one of the two: the same 404 as a transfer that is not.
    elsewhere = school_client(world.school_c, world.person("c", Role.DSL))
    assert elsewhere.get(path).status_code == 404
    assert elsewhere.post(f"{path}accept/").status_code == 404
    with schema_context(world.school_c.schema_name):
        assert not Pupil.objects.filter(upn=pupil.upn).exists()


def test_what_the_sender_learns_later_is_forwarded_as_a_supplement(
    world: World, school_a: School, documents_root: Path
) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(serial=SERIAL + 8)
        note_record(
            pupil=pupil,
            author=person_of(world, "a", Role.DSL),
            occurred_at=timezone.now(),
            body="Before",
        )
    transfer_accept(
        actor=world.person("b", Role.DSL), school=world.school_b, transfer_id=start(world, pupil).pk
    )
    with schema_context(school_a.schema_name):
        sent = Pupil.objects.get(pk=pupil.pk)
        first = supplement_record(
            actor=world.person("a", Role.DSL),
            school=school_a,
            pupil=sent,
            body="The police called.",
        )
        # Added while the first waits: travels with it.
        again = supplement_record(
            actor=world.person("a", Role.DEPUTY_DSL),
            school=school_a,
            pupil=sent,
            body="And a letter came.",
        )
    assert again.pk == first.pk
    assert first.kind == Transfer.Kind.SUPPLEMENT
    assert first.to_school == world.school_b
    accepted = transfer_accept(
        actor=world.person("b", Role.DSL), school=world.school_b, transfer_id=first.pk
    )
    assert accepted.entries_copied == 2
    with schema_context(world.school_b.schema_name):
        received = Pupil.objects.get(upn=pupil.upn)
        bodies = list(
            ChronologyEntry.objects.filter(pupil=received)
            .order_by("pk")
            .values_list("body", flat=True)
        )
        assert bodies == ["Before", "The police called.", "And a letter came."]
        assert chain_verify(ChronologyEntry) is None
    with schema_context(school_a.schema_name):
        assert chain_verify(ChronologyEntry) is None
        # Nothing else may be recorded for the pupil there.
        with pytest.raises(ValidationError, match="read-only"):
            note_record(
                pupil=sent,
                author=person_of(world, "a", Role.DSL),
                occurred_at=timezone.now(),
                body="x",
            )


def test_the_receiving_dsl_opening_the_transfer_is_in_the_sending_schools_access_log(
    world: World, school_a: School, documents_root: Path
) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(serial=SERIAL + 9)
    transfer = start(world, pupil)
    deputy = world.person("b", Role.DEPUTY_DSL)
    response = school_client(world.school_b, deputy).get(f"/transfers/{transfer.pk}/")
    assert response.status_code == 200
    assert pupil.display_name.encode() in response.content
    with schema_context(school_a.schema_name):
        logged = AccessLogEntry.objects.filter(pupil_id=pupil.pk, object_type="transfer")
        assert list(logged.values_list("user_id", "object_id")) == [(deputy.pk, str(transfer.pk))]
