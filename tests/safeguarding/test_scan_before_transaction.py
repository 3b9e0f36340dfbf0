"""Attachments are virus-scanned before the concern's transaction opens, once per file whatever
the number of pupils: a slow scanner (clamd may take up to 30 s a file) never holds the school's
chronology lock, so every other chronology write of the school goes on meanwhile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django_tenants.utils import schema_context

from safeguarding.models import ChronologyEntry, Concern, Document
from safeguarding.services import concerns
from safeguarding.services.concerns import concern_record
from safeguarding.services.documents import document_upload
from safeguarding.storage import PrivateDocumentStorage
from tenants.models import School
from tests.conftest import World
from tests.safeguarding.conftest import category_ids, make_pupil, person
from tests.safeguarding.test_documents import (  # noqa: F401 - fixtures
    EICAR,
    PDF,
    FakeClamd,
    clamd_socket,
    documents_root,
    upload,
)
from trustplatform.accounts.models import Role
from trustplatform.hashchain import chain_lock_key

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


def _chronology_lock_free(school: School) -> bool:
    """Whether another connection (another request of the school) could take the chronology's
    chain lock right now."""
    key = chain_lock_key(school.schema_name, ChronologyEntry._meta.db_table)
    other = psycopg2.connect(**connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
            (taken,) = cursor.fetchone()
        other.rollback()
        return bool(taken)
    finally:
        other.close()


def _record(world: World, pupils: int, attachments: list[tuple[str, bytes]]) -> Concern:
    staff = world.person("a", Role.STAFF)
    return concern_record(
        school=world.school_a,
        author=person(staff, Role.STAFF),
        pupil_ids=[make_pupil("Invented", f"Sibling{n}").pk for n in range(pupils)],
        category_ids=category_ids("neglect"),
        account="Three siblings arrived without coats in the snow.",
        attachments=[upload(name, data) for name, data in attachments],
    )


@pytest.fixture
def clamd(documents_root: Path, clamd_socket: tuple[str, FakeClamd]) -> FakeClamd:  # noqa: F811
    """A scanner that answers, and documents stored under the test's own folder."""
    return clamd_socket[1]


def test_each_attachment_is_scanned_once_before_the_chronology_is_locked(
    world: World, school_a: School, clamd: FakeClamd
) -> None:
    lock_free_while_scanning: list[bool] = []
    clamd.during_scan = lambda: lock_free_while_scanning.append(_chronology_lock_free(school_a))

    with schema_context(school_a.schema_name):
        concern = _record(world, 3, [("letter.pdf", PDF), ("photo.png", PNG)])
        documents = Document.objects.filter(concern=concern).count()

    assert clamd.received == [PDF, PNG]  # once per file, not once per pupil
    assert lock_free_while_scanning == [True, True]
    assert documents == 6  # each child's file stands on its own
    # Proof that the probe sees the lock once it is held: the concern's transaction holds it now.
    assert not _chronology_lock_free(school_a)


def test_an_infected_attachment_refuses_the_concern_before_anything_is_written(
    world: World,
    school_a: School,
    documents_root: Path,  # noqa: F811
    clamd: FakeClamd,
) -> None:
    with schema_context(school_a.schema_name):
        before = (Concern.objects.count(), ChronologyEntry.objects.count())
        with pytest.raises(ValidationError) as refused:
            _record(world, 2, [("letter.pdf", PDF), ("virus.pdf", PDF + EICAR)])
        after = (Concern.objects.count(), ChronologyEntry.objects.count())

    assert (
        "virus.pdf: The virus checker found Eicar-Test-Signature"
        in (refused.value.message_dict["attachments"][0])
    )
    assert after == before
    assert len(clamd.received) == 2
    assert not list(documents_root.rglob("*.*"))


def test_a_document_uploaded_to_a_pupils_record_is_scanned_before_its_transaction(
    world: World, school_a: School, clamd: FakeClamd
) -> None:
    lock_free_while_scanning: list[bool] = []
    clamd.during_scan = lambda: lock_free_while_scanning.append(_chronology_lock_free(school_a))
    dsl = world.person("a", Role.DSL)

    with schema_context(school_a.schema_name):
        document = document_upload(
            pupil=make_pupil("Invented", "Uploadee"),
            uploaded_file=upload("letter.pdf", PDF),
            overview="Letter from the GP",
            author=person(dsl, Role.DSL),
        )

    assert document.scanned
    assert lock_free_while_scanning == [True]


def test_attachments_are_written_to_storage_before_the_chronology_is_locked(
    world: World, school_a: School, clamd: FakeClamd, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On S3 each write is a round trip or two: under the school's chronology lock it would make
    # every other writer of the school wait for the storage.
    lock_free_while_writing: list[bool] = []
    save = PrivateDocumentStorage._save  # type: ignore[attr-defined]  # Django's, not in the stubs

    def watched_save(storage: PrivateDocumentStorage, name: str, content: Any) -> str:
        lock_free_while_writing.append(_chronology_lock_free(school_a))
        return save(storage, name, content)

    monkeypatch.setattr(PrivateDocumentStorage, "_save", watched_save)
    with schema_context(school_a.schema_name):
        concern = _record(world, 2, [("letter.pdf", PDF), ("photo.png", PNG)])
        stored = [d.file.read() for d in Document.objects.filter(concern=concern).order_by("pk")]

    assert lock_free_while_writing == [True, True, True, True]
    assert sorted(stored) == sorted([PDF, PDF, PNG, PNG])


def test_a_concern_that_fails_after_its_attachments_were_written_leaves_no_file(
    world: World,
    school_a: School,
    documents_root: Path,  # noqa: F811
    clamd: FakeClamd,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The last step of the concern's transaction, after its files were written: its entries go
    # on the chronology (rows written, lock held), then the database fails before the commit.
    append_many = concerns.chronology_append_many
    files_when_it_failed: list[Path] = []

    def broken_append_many(entries: Any) -> None:
        append_many(entries)
        files_when_it_failed.extend(p for p in documents_root.rglob("*") if p.is_file())
        raise DatabaseError("the chronology could not be written")

    monkeypatch.setattr(concerns, "chronology_append_many", broken_append_many)
    with schema_context(school_a.schema_name):
        before = (
            Concern.objects.count(),
            Document.objects.count(),
            ChronologyEntry.objects.count(),
        )
        with pytest.raises(DatabaseError):
            _record(world, 2, [("letter.pdf", PDF)])
        after = (Concern.objects.count(), Document.objects.count(), ChronologyEntry.objects.count())

    assert len(files_when_it_failed) == 2  # one file for each child, written before the failure
    assert not [p for p in documents_root.rglob("*") if p.is_file()]
    assert after == before
