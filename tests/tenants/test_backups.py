"""Backups of one school and their restoration, on the real PostgreSQL server (docs/backups.md).

pg_dump and pg_restore work in connections of their own, which see only committed rows: these
tests make a school of their own with committed records (not the rolled-back ones of other
tests) and remove it, schema, rows and files, when they end.

The commands run as they do in production, from the application's connection; they take the
owner role themselves for the dump, the restore and its grants. What only the owner may do (drop a
school's schema, switch a trigger off, record a migration) the tests do as the owner.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.models import ChronologyEntry, Document, Pupil
from safeguarding.services.chronology import Person, note_record
from safeguarding.services.documents import document_upload
from tenants.backups import (
    FILES,
    MANIFEST,
    backups_of,
    school_scoped_models,
)
from tenants.db import owner_connection
from tenants.models import Domain, School, Trust
from tenants.services import school_create, trust_create
from tenants.tasks import schools_backup_nightly_task
from tests.conftest import World

# The S3 server's fixtures, used by name (request.getfixturevalue below).
from tests.trustplatform.test_storage_s3 import Bucket, bucket, s3_endpoint  # noqa: F401
from trustplatform.accounts.models import Role, SchoolMembership, User
from trustplatform.accounts.services import school_membership_add, user_create
from trustplatform.policies.models import Policy
from trustplatform.policies.services import policy_create

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
_serials = itertools.count(1)


@dataclass
class Source:
    school: School
    dsl: User
    pupil_id: int


def _make_school(tag: str) -> Source:
    trust = trust_create(name=f"Backup Test Trust {tag}", slug=f"backup-{tag}")
    school = school_create(
        trust=trust,
        name=f"Hollowfield Primary {tag}",
        slug=f"hollow-{tag}",
        urn=f"97{next(_serials):04d}",
        phase=School.Phase.PRIMARY,
    )
    dsl = user_create(email=f"dsl.hollow-{tag}@example.org", full_name="Ada Marsh", password=None)
    school_membership_add(user=dsl, school=school, role=Role.DSL)
    staff = user_create(email=f"staff.hollow-{tag}@example.org", full_name="Ben Oak", password=None)
    school_membership_add(user=staff, school=school, role=Role.STAFF)
    author = Person(user_id=dsl.pk, name=dsl.full_name, role=str(Role.DSL))
    policy_create(
        actor=dsl,
        school=school,
        title="Child protection policy",
        kind="child_protection",
        owner="DSL",
        approving_body="Full governing body",
        last_reviewed_on=dt.date(2026, 9, 1),
        document=SimpleUploadedFile("policy.pdf", PDF, content_type="application/pdf"),
    )
    with schema_context(school.schema_name):
        pupils = [
            Pupil.objects.create(
                upn=f"Z{next(_serials):012d}",
                legal_first_name=first,
                legal_last_name="Invented",
                date_of_birth=dt.date(2016, 1, 9),
                sex=Pupil.Sex.FEMALE,
                year_group=4,
            )
            for first in ("Poppy", "Rowan")
        ]
        for number in range(3):
            note_record(
                pupil=pupils[number % 2],
                author=author,
                occurred_at=timezone.now() - dt.timedelta(hours=number + 1),
                body=f"Spoke with the class teacher, note {number}.",
                backdate_reason="Written up after the conversation.",
            )
        for number in range(2):
            document_upload(
                pupil=pupils[0],
                uploaded_file=SimpleUploadedFile(f"minutes {number}.pdf", PDF + bytes([number])),
                overview=f"Minutes of meeting {number}",
                author=author,
            )
    return Source(school=school, dsl=dsl, pupil_id=pupils[0].pk)


def _drop_school(schema: str) -> None:
    """The school destroyed, as only the owner may: its schema dropped, its public rows deleted."""
    with owner_connection():
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        for school in School.objects.filter(schema_name=schema):
            users = list(User.objects.filter(school_memberships__school=school))
            Domain.objects.filter(tenant=school).delete()
            school.delete()
            for user in users:
                user.delete()


@contextlib.contextmanager
def _committed_school(django_db_blocker: Any) -> Iterator[Source]:
    tag = f"{next(_serials)}"
    with django_db_blocker.unblock():
        try:
            yield _make_school(tag)
        finally:
            schema = f"school_hollow_{tag}"
            _drop_school(schema)
            _drop_school(f"{schema}_copy")
            User.objects.filter(email__endswith=f".hollow-{tag}@example.org").delete()
            Trust.objects.filter(slug=f"backup-{tag}").delete()


@pytest.fixture
def file_storage(
    settings: SettingsWrapper, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Documents, policy files and backups in folders of this test's own."""
    settings.SCHOOL_DOCUMENTS_ROOT = tmp_path / "documents"
    settings.BACKUP_ROOT = tmp_path / "backups"
    monkeypatch.setattr(
        Policy._meta.get_field("document"),
        "storage",
        FileSystemStorage(location=tmp_path / "policies"),
    )


@pytest.fixture
def committed(django_db_blocker: Any, world: World, file_storage: None) -> Iterator[Source]:
    """A school of its own, committed, with records, documents and a policy file."""
    with _committed_school(django_db_blocker) as source:
        yield source


# --- what the tests compare ----------------------------------------------------------------------


def _schema_content(schema: str) -> dict[str, tuple[int, str]]:
    """Each table of the schema: its rows and an MD5 of every row's text, in a stable order."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", [schema])
        tables = [name for (name,) in cursor.fetchall()]
        content = {}
        for table in tables:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: S608
                f'FROM "{schema}"."{table}" t'
            )
            content[table] = cursor.fetchone()
    return content


def _public_content(school_id: int) -> dict[str, list[Any]]:
    """The school's rows in the public schema, each as JSON, table by table."""
    content = {}
    user_ids = list(
        SchoolMembership.objects.filter(school_id=school_id).values_list("user_id", flat=True)
    )
    trust_id = School.objects.get(pk=school_id).trust_id
    selections: list[tuple[str, str, list[Any]]] = [
        (Trust._meta.db_table, "id", [trust_id]),
        (User._meta.db_table, "id", user_ids),
        *(
            (
                model._meta.db_table,
                "id",
                list(
                    model._default_manager.filter(**{lookup: school_id}).values_list(
                        "pk", flat=True
                    )
                ),
            )
            for model, lookup in school_scoped_models()
        ),
    ]
    with connection.cursor() as cursor:
        for table, column, ids in selections:
            cursor.execute(
                f'SELECT row_to_json(t)::text FROM "{table}" t WHERE t."{column}" = ANY(%s) '  # noqa: S608
                "ORDER BY t.id",
                [ids],
            )
            content[table] = [row for (row,) in cursor.fetchall()]
    return content


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }


def _backup(schema: str, output: Path) -> Path:
    call_command("backup_school", schema, output=output, stdout=open("/dev/null", "w"))  # noqa: SIM115
    [folder] = backups_of(output, schema)
    return folder


# --- the round trip ------------------------------------------------------------------------------


def test_a_dropped_school_comes_back_from_its_backup_table_for_table_and_file_for_file(
    committed: Source, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    school = committed.school
    schema = school.schema_name
    tables = _schema_content(schema)
    public = _public_content(school.pk)
    documents = _files(tmp_path / "documents")
    policies = _files(tmp_path / "policies")
    assert tables["safeguarding_chronologyentry"][0] == 5  # three notes, two uploads
    assert len(documents) == 2 and len(policies) == 1
    assert len(public["accounts_schoolmembership"]) == 2 and len(public[User._meta.db_table]) == 2

    backup = _backup(schema, tmp_path / "out")
    manifest = json.loads((backup / MANIFEST).read_text())
    assert manifest["school"]["schema_name"] == schema
    assert manifest["tables"]["safeguarding_document"]["rows"] == 2
    assert manifest["chronology"]["entries"] == 5
    # Children's records: the backup is readable by the server's own account alone.
    assert all(path.stat().st_mode & 0o077 == 0 for path in [backup, *backup.rglob("*")])

    # The school is lost: its schema, its public rows, its accounts, its trust and every file.
    _drop_school(schema)
    Trust.objects.filter(pk=school.trust_id).delete()
    shutil.rmtree(tmp_path / "documents")
    shutil.rmtree(tmp_path / "policies")
    assert not School.objects.filter(schema_name=schema).exists()

    call_command("restore_school", str(backup))

    assert _schema_content(schema) == tables
    assert _public_content(school.pk) == public
    assert _files(tmp_path / "documents") == documents
    assert _files(tmp_path / "policies") == policies
    capsys.readouterr()
    call_command("verify_chronology")
    assert f"{schema} chronology: 5 rows, intact" in capsys.readouterr().out
    # The restored school works: a new entry joins the chain after the restored ones.
    with schema_context(schema):
        note_record(
            pupil=Pupil.objects.get(pk=committed.pupil_id),
            author=Person(user_id=committed.dsl.pk, name="Ada Marsh", role="dsl"),
            occurred_at=timezone.now(),
            body="After the restore.",
        )
        assert ChronologyEntry.objects.count() == 6
    call_command("verify_chronology")
    assert f"{schema} chronology: 6 rows, intact" in capsys.readouterr().out


def test_a_damaged_schema_dropped_alone_is_restored_under_its_school_row_which_stays_as_it_is(
    committed: Source, tmp_path: Path
) -> None:
    """The procedure of docs/backups.md: the school suspended, its schema dropped, restored."""
    school = committed.school
    tables = _schema_content(school.schema_name)
    backup = _backup(school.schema_name, tmp_path / "out")
    School.objects.filter(pk=school.pk).update(status=School.Status.SUSPENDED)
    public = _public_content(school.pk)
    with owner_connection(), connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{school.schema_name}" CASCADE')

    call_command("restore_school", str(backup))

    assert _schema_content(school.schema_name) == tables
    # The public rows were there: none duplicated, none changed (the school is still suspended).
    assert _public_content(school.pk) == public


def test_a_backup_restored_over_an_existing_schema_is_refused(
    committed: Source, tmp_path: Path
) -> None:
    schema = committed.school.schema_name
    backup = _backup(schema, tmp_path / "out")
    before = _schema_content(schema)

    with pytest.raises(CommandError, match=f"Schema {schema} exists"):
        call_command("restore_school", str(backup))

    assert _schema_content(schema) == before


# --- alongside, for inspection -------------------------------------------------------------------


def test_a_copy_restored_alongside_matches_while_the_school_stays_untouched_and_takes_no_record(
    committed: Source, tmp_path: Path
) -> None:
    school = committed.school
    copy_schema = f"{school.schema_name}_copy"
    copy_domain = f"{school.slug}-copy.localhost"
    tables = _schema_content(school.schema_name)
    public = _public_content(school.pk)
    documents = _files(tmp_path / "documents")
    backup = _backup(school.schema_name, tmp_path / "out")

    call_command("restore_school", str(backup), as_schema=copy_schema, domain=copy_domain)

    # The original: every table, public row and file as before.
    assert _schema_content(school.schema_name) == tables
    assert _public_content(school.pk) == public
    assert _files(tmp_path / "documents") == documents
    # The copy: the same tables, under its own name, on its own address, suspended.
    assert _schema_content(copy_schema) == tables
    copy = School.objects.get(schema_name=copy_schema)
    assert copy.pk != school.pk and copy.status == School.Status.SUSPENDED
    assert copy.domains.get().domain == copy_domain
    assert "restored copy" in copy.name
    # Nobody records into it: its site is closed, and its tables refuse writes from any role.
    response = Client(HTTP_HOST=copy_domain).get("/")
    assert response.status_code == 403
    with (
        schema_context(copy_schema),
        pytest.raises(DatabaseError, match="restored copy"),
        transaction.atomic(),
    ):
        note_record(
            pupil=Pupil.objects.get(pk=committed.pupil_id),
            author=Person(user_id=committed.dsl.pk, name="Ada Marsh", role="dsl"),
            occurred_at=timezone.now(),
            body="Must not be kept.",
        )
    assert _schema_content(copy_schema) == tables
    # The documents of the copy are the original's files, which stayed where they were.
    with schema_context(copy_schema):
        assert sorted(Document.objects.values_list("file", flat=True)) == sorted(
            name for name in documents
        )
    # Restored copies are not backed up each night.
    from tenants.backups import schools_to_back_up  # noqa: PLC0415

    assert copy_schema not in {s.schema_name for s in schools_to_back_up()}


# --- a damaged backup ----------------------------------------------------------------------------


@pytest.mark.parametrize("damaged", ["document", "dump"])
def test_a_backup_with_one_changed_byte_is_refused_and_restores_nothing(
    committed: Source, tmp_path: Path, damaged: str
) -> None:
    school = committed.school
    backup = _backup(school.schema_name, tmp_path / "out")
    if damaged == "document":
        [target] = sorted((backup / FILES / "documents").rglob("*"))[-1:]
        name = str(target.relative_to(backup))
    else:
        target = backup / "schema.dump"
        name = "schema.dump"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    schools_before = School.objects.count()

    with pytest.raises(CommandError) as refused:
        call_command(
            "restore_school",
            str(backup),
            as_schema=f"{school.schema_name}_copy",
            domain=f"{school.slug}-copy.localhost",
        )

    assert f"{name} does not match its SHA-256 in the manifest" in str(refused.value)
    assert "nothing was restored" in str(refused.value)
    assert School.objects.count() == schools_before
    assert not Domain.objects.filter(domain=f"{school.slug}-copy.localhost").exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname = %s", [f"{school.schema_name}_copy"]
        )
        assert cursor.fetchone()[0] == 0


def test_a_backup_of_a_tampered_chronology_is_refused_naming_the_broken_row(
    committed: Source, tmp_path: Path
) -> None:
    """The files agree with the manifest, but an entry was changed in the database before the
    backup was taken: the restore walks the chain and keeps nothing."""
    school = committed.school
    # Someone holding the owner's rights: the application may not switch a trigger off.
    with owner_connection(), schema_context(school.schema_name), connection.cursor() as cursor:
        entry_id = ChronologyEntry.objects.order_by("pk").values_list("pk", flat=True)[1]
        cursor.execute("ALTER TABLE safeguarding_chronologyentry DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE safeguarding_chronologyentry SET body = 'Changed afterwards.' WHERE id = %s",
            [entry_id],
        )
        cursor.execute("ALTER TABLE safeguarding_chronologyentry ENABLE TRIGGER USER")
    backup = _backup(school.schema_name, tmp_path / "out")
    copy_schema = f"{school.schema_name}_copy"

    with pytest.raises(CommandError) as refused:
        call_command(
            "restore_school",
            str(backup),
            as_schema=copy_schema,
            domain=f"{school.slug}-copy.localhost",
        )

    assert f"chain breaks at row {entry_id}" in str(refused.value)
    assert not School.objects.filter(schema_name=copy_schema).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [copy_schema])
        assert cursor.fetchone()[0] == 0


def test_a_backup_made_by_newer_code_is_refused_before_anything_is_restored(
    committed: Source, tmp_path: Path
) -> None:
    school = committed.school
    # Recorded as newer code's migrate (run by the owner) would record it.
    with owner_connection(), connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{school.schema_name}".django_migrations (app, name, applied) '  # noqa: S608
            "VALUES ('safeguarding', '9999_from_the_future', now())"
        )
    backup = _backup(school.schema_name, tmp_path / "out")
    _drop_school(school.schema_name)

    with pytest.raises(CommandError, match=r"newer version of the code.*9999_from_the_future"):
        call_command("restore_school", str(backup))

    assert not School.objects.filter(schema_name=school.schema_name).exists()


# --- what a backup holds -------------------------------------------------------------------------


def test_every_public_table_that_points_at_a_school_is_part_of_its_backup() -> None:
    scoped = {model._meta.label for model, _lookup in school_scoped_models()}
    assert {
        "tenants.School",
        "tenants.Domain",
        "accounts.SchoolMembership",
        "accounts.DslHandoverRequest",
        "policies.Policy",
        "policies.PolicyReview",
        "policies.PolicyReminder",
        "schooldays.Term",
        "schooldays.ClosureDay",
        "statistics.SchoolSnapshot",
    } <= scoped


# --- the nightly job -----------------------------------------------------------------------------


def test_the_nightly_job_writes_one_backup_per_school_and_removes_old_ones(
    world: World, db: None, settings: SettingsWrapper, tmp_path: Path, tasks_run_when_sent: None
) -> None:
    settings.BACKUP_ROOT = tmp_path / "backups"
    settings.BACKUP_KEEP_DAYS = 35
    settings.SCHOOL_DOCUMENTS_ROOT = tmp_path / "documents"
    old = tmp_path / "backups" / world.school_a.schema_name / "20200101T000000000000Z"
    old.mkdir(parents=True)

    assert schools_backup_nightly_task() == School.objects.count()
    schemas = set(School.objects.values_list("schema_name", flat=True))
    for schema in schemas:
        [backup] = backups_of(tmp_path / "backups", schema)
        assert json.loads((backup / MANIFEST).read_text())["school"]["schema_name"] == schema
    assert not old.exists()

    # A second run the same night writes nothing more.
    schools_backup_nightly_task()
    assert all(len(backups_of(tmp_path / "backups", schema)) == 1 for schema in schemas)


# --- documents on a versioned S3 bucket ----------------------------------------------------------


@pytest.fixture
def documents_on_versioned_s3(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, file_storage: None
) -> Bucket:
    versioned: Bucket = request.getfixturevalue("bucket")
    versioned.client.put_bucket_versioning(
        Bucket=versioned.name, VersioningConfiguration={"Status": "Enabled"}
    )
    storage = versioned.storage(request.getfixturevalue("s3_endpoint"), "documents")
    monkeypatch.setattr(Document._meta.get_field("file"), "storage", storage)
    return versioned


def test_on_a_versioned_bucket_a_backup_names_each_document_version_and_restore_brings_it_back(
    world: World, documents_on_versioned_s3: Bucket, django_db_blocker: Any, tmp_path: Path
) -> None:
    versioned = documents_on_versioned_s3
    with _committed_school(django_db_blocker) as source:
        schema = source.school.schema_name
        tables = _schema_content(schema)
        keys = versioned.keys(f"documents/{schema}/")
        contents = {
            key: versioned.client.get_object(Bucket=versioned.name, Key=key)["Body"].read()
            for key in keys
        }
        assert len(keys) == 2

        backup = _backup(schema, tmp_path / "out")
        manifest = json.loads((backup / MANIFEST).read_text())
        versions = {o["s3_key"]: o["version_id"] for o in manifest["objects"] if "s3_key" in o}
        assert set(versions) == set(keys) and all(versions.values())
        assert not (backup / FILES / "documents").exists()  # named, not copied

        # Lost: the schema and its rows, and the documents deleted (a delete marker on each).
        _drop_school(schema)
        for key in keys:
            versioned.client.delete_object(Bucket=versioned.name, Key=key)
        assert versioned.keys(f"documents/{schema}/") == []

        call_command("restore_school", str(backup))

        assert _schema_content(schema) == tables
        for key in keys:
            current = versioned.client.get_object(Bucket=versioned.name, Key=key)
            assert current["Body"].read() == contents[key]
