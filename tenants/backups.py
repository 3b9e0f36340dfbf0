"""Backups of one school, and their restoration (docs/backups.md).

A backup is a folder: the school's schema as `pg_dump` writes it (custom format), the rows of the
public schema that belong to the school (`public.json`), its audit events (`audit.json`, kept as
evidence), its documents' files (or, on S3 with versioning, the version of each object), and
`manifest.json`, which names the schema, its migrations, the rows and content hash of each table,
the SHA-256 of every file of the folder and the head of the chronology's hash chain.

Everything connects as the database owner role (`owner_database`): restoring creates a schema.
The dump and the public rows are read in one snapshot, so they agree with each other.
Restoration checks every file against the manifest before it touches the database, restores the
schema and the public rows in one transaction, compares each table with the manifest before
committing, and walks the chronology's chain after: any difference and nothing is left behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import psycopg2
import psycopg2.extensions
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.management import call_command
from django.db import connection, connections, models
from django.db.migrations.loader import MigrationLoader
from django.db.models import FileField
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from safeguarding.models import AccessLogEntry, ChronologyEntry, Document, ExportJob
from tenants.db import OWNER_ALIAS, owner_connection
from tenants.db_roles import app_role_grant
from tenants.models import Domain, School, Trust
from trustplatform.accounts.models import RecoveryCode, User
from trustplatform.audit.models import AuditAction, AuditEvent
from trustplatform.audit.services import audit_record
from trustplatform.hashchain import (
    GENESIS_HASH,
    BrokenLink,
    HashChainedModel,
    chain_verify,
    row_hash_of,
)
from trustplatform.policies.models import Policy

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP = "schema.dump"
PUBLIC_ROWS = "public.json"
AUDIT_ROWS = "audit.json"
FILES = "files"
# Marks a schema restored alongside its school for inspection (COMMENT ON SCHEMA): nightly backups
# skip it, and its tables refuse every write.
RESTORED_COPY_MARK = "restored copy"
_PARTIAL = ".partial"


class BackupError(RuntimeError):
    """A backup could not be written, or a backup was refused; the message says why."""


# --- the owner role -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerDatabase:
    """How to reach the database as the owner role: for psycopg2 and for pg_dump/pg_restore."""

    name: str
    user: str
    password: str
    host: str
    port: str

    def environment(self) -> dict[str, str]:
        # The password goes to the tools through their environment, never on a command line.
        values = {
            "PGDATABASE": self.name,
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGHOST": self.host,
            "PGPORT": self.port,
        }
        return os.environ | {key: value for key, value in values.items() if value}

    def connect(self) -> psycopg2.extensions.connection:
        params = {
            "dbname": self.name,
            "user": self.user,
            "password": self.password,
            "host": self.host,
            "port": self.port,
        }
        conn = psycopg2.connect(**{key: value for key, value in params.items() if value})
        conn.set_client_encoding("UTF8")
        return conn


def owner_database() -> OwnerDatabase:
    """The owner role (DATABASE_OWNER_URL, else DATABASE_URL's role) on the app's database.

    The database is the one the app is connected to now (a test run's own database included);
    only the role and where to reach it come from the owner's URL.
    """
    # The owner alias of the settings reads DATABASE_OWNER_URL (a copy of DATABASE_URL when unset).
    base: dict[str, Any] = dict(connections[OWNER_ALIAS].settings_dict)
    return OwnerDatabase(
        name=str(connection.settings_dict["NAME"]),
        user=str(base.get("USER") or ""),
        password=str(base.get("PASSWORD") or ""),
        # The embedded server of development gives its socket folder as an option.
        host=str(base.get("HOST") or base.get("OPTIONS", {}).get("host") or ""),
        port=str(base.get("PORT") or ""),
    )


def _server_major(cursor: psycopg2.extensions.cursor) -> int:
    cursor.execute("SHOW server_version_num")
    return int(cursor.fetchone()[0]) // 10000


def pg_tool(name: str, server_major: int) -> str:
    """pg_dump or pg_restore of the server's major version or newer (an older one refuses)."""
    folders = [os.environ.get("PG_BIN_DIR", ""), f"/usr/lib/postgresql/{server_major}/bin"]
    if pg_config := shutil.which("pg_config"):
        result = subprocess.run(  # noqa: S603 (a fixed program, no shell)
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        folders.append(result.stdout.strip())
    if found := shutil.which(name):
        folders.append(str(Path(found).parent))
    for folder in filter(None, folders):
        tool = Path(folder) / name
        if not tool.is_file():
            continue
        version = subprocess.run(  # noqa: S603
            [str(tool), "--version"], capture_output=True, text=True, check=False
        ).stdout
        match = re.search(r"(\d+)(?:\.\d+)?", version)
        if match and int(match.group(1)) >= server_major:
            return str(tool)
    raise BackupError(
        f"No {name} of PostgreSQL {server_major} or newer was found: install "
        f"postgresql-client-{server_major} or set PG_BIN_DIR to its bin folder."
    )


# --- what belongs to a school ---------------------------------------------------------------------


def _public_models() -> list[type[models.Model]]:
    tenant_only = {
        app.split(".")[-1] for app in settings.TENANT_APPS if app not in settings.SHARED_APPS
    }
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label not in tenant_only and not model._meta.proxy
    ]


def _foreign_keys(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    return [
        cast("models.ForeignKey[Any, Any]", field)
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey)
    ]


def school_scoped_models() -> list[tuple[type[models.Model], str]]:
    """Each public table that holds rows of one school, with the lookup from it to the school:
    a foreign key to the school, or to a row that has one (a policy's reviews)."""
    scoped: list[tuple[type[models.Model], str]] = [(School, "pk")]
    public = _public_models()
    for model in public:
        if model in (School, AuditEvent):
            continue
        for field in _foreign_keys(model):
            if field.related_model is School:
                scoped.append((model, field.name))
                break
    first_level = {model: lookup for model, lookup in scoped if model is not School}
    for model in public:
        if model in first_level or model is School:
            continue
        for field in _foreign_keys(model):
            related = field.related_model
            if isinstance(related, type) and related in first_level:
                scoped.append((model, f"{field.name}__{first_level[related]}"))
                break
    return scoped


@dataclass(frozen=True)
class _Selection:
    model: type[models.Model]
    ids: list[Any]

    @property
    def table(self) -> str:
        return self.model._meta.db_table


def _school_selections(school_id: int) -> list[_Selection]:
    """The public rows a school needs, in the order they are recreated: its trust, the accounts
    its rows refer to (with their recovery codes), the school, then what hangs off it."""
    scoped = [
        _Selection(
            model,
            list(
                model._default_manager.filter(**{lookup: school_id})
                .values_list("pk", flat=True)
                .order_by("pk")
            ),
        )
        for model, lookup in school_scoped_models()
    ]
    user_ids: set[int] = set()
    for selection in scoped:
        user_fks = [f.attname for f in _foreign_keys(selection.model) if f.related_model is User]
        if user_fks and selection.ids:
            for values in selection.model._default_manager.filter(pk__in=selection.ids).values_list(
                *user_fks
            ):
                user_ids.update(value for value in values if value is not None)
    school = School.objects.get(pk=school_id)
    return [
        _Selection(Trust, [school.trust_id]),
        _Selection(User, sorted(user_ids)),
        _Selection(
            RecoveryCode,
            list(
                RecoveryCode.objects.filter(user_id__in=user_ids)
                .order_by("pk")
                .values_list("pk", flat=True)
            ),
        ),
        *scoped,
    ]


# --- reading a schema -----------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_CHECKSUM = (
    "SELECT count(*), encode(sha256(convert_to("
    "coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''), 'UTF8')), 'hex')"
)


def schema_tables(cursor: Any, schema: str) -> dict[str, dict[str, Any]]:
    """Each table of the schema: its rows and a SHA-256 of its content (rows as text, sorted)."""
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
        [schema],
    )
    tables: dict[str, dict[str, Any]] = {}
    for (table,) in cursor.fetchall():
        cursor.execute(f"{_CHECKSUM} FROM {_quote(schema)}.{_quote(table)} t")
        rows, digest = cursor.fetchone()
        tables[table] = {"rows": int(rows), "sha256": digest}
    return tables


def _public_rows(cursor: Any, selection: _Selection) -> list[dict[str, Any]]:
    if not selection.ids:
        return []
    cursor.execute(
        f"SELECT row_to_json(t) FROM public.{_quote(selection.table)} t "  # noqa: S608
        "WHERE t.id = ANY(%s) ORDER BY t.id",
        [selection.ids],
    )
    return [row for (row,) in cursor.fetchall()]


def _chronology_head(cursor: Any, schema: str) -> dict[str, Any]:
    table = f"{_quote(schema)}.{_quote(ChronologyEntry._meta.db_table)}"
    cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
    entries = int(cursor.fetchone()[0])
    cursor.execute(f"SELECT row_hash FROM {table} ORDER BY id DESC LIMIT 1")  # noqa: S608
    head = cursor.fetchone()
    return {"entries": entries, "head": head[0] if head else None}


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versioned_bucket(storage: Storage) -> Any | None:
    """The S3 bucket behind a storage when versioning is on there; otherwise None."""
    bucket = getattr(storage, "bucket", None)
    if bucket is None:
        return None
    status = bucket.meta.client.get_bucket_versioning(Bucket=bucket.name).get("Status")
    return bucket if status == "Enabled" else None


# --- backup ---------------------------------------------------------------------------------------


def _stored_files(
    cursor: Any, schema: str, public: dict[str, list[dict[str, Any]]]
) -> list[tuple[str, str]]:
    """(storage, name) of each file the school's rows point at: documents, exports, policies."""
    names: list[tuple[str, str]] = []
    for model in (Document, ExportJob):
        column = model._meta.get_field("file").column
        cursor.execute(
            f"SELECT {_quote(column)} FROM {_quote(schema)}.{_quote(model._meta.db_table)} "  # noqa: S608
            f"WHERE {_quote(column)} <> '' ORDER BY 1"
        )
        names.extend(("documents", name) for (name,) in cursor.fetchall())
    for row in public.get(Policy._meta.db_table, []):
        if row.get("document"):
            names.append(("policies", row["document"]))
    return names


def _storages() -> dict[str, Storage]:
    # The storages the rows' file fields use, as the app itself reads and writes through them.
    return {
        "documents": cast(FileField, Document._meta.get_field("file")).storage,
        "policies": cast(FileField, Policy._meta.get_field("document")).storage,
    }


def school_backup(*, school: School, root: Path) -> Path:
    """Writes a backup of the school into `root/<schema>/<UTC time>/` and returns that folder.

    Written into a `.partial` folder first and renamed when complete: a backup interrupted half
    way is never taken for a whole one.
    """
    schema = school.schema_name
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
    final = Path(root) / schema / stamp
    work = Path(root) / schema / f"{stamp}{_PARTIAL}"
    work.mkdir(parents=True, mode=0o700)
    # A backup holds children's records: readable by the server's own account alone.
    work.parent.chmod(0o700)
    try:
        manifest = _backup_into(school=school, work=work)
        (work / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        for path in work.rglob("*"):
            path.chmod(0o700 if path.is_dir() else 0o600)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    logger.info("Backed up school id=%s into %s", school.pk, final)
    return final


def _backup_into(*, school: School, work: Path) -> dict[str, Any]:
    schema = school.schema_name
    database = owner_database()
    selections = _school_selections(school.pk)
    conn = database.connect()
    try:
        conn.set_session(
            isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True
        )
        with conn.cursor() as cursor:
            cursor.execute("SET search_path TO public")
            major = _server_major(cursor)
            # pg_dump reads the schema in this transaction's snapshot: the dump, the counts and
            # the public rows below are all of the same moment.
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            dump = subprocess.run(  # noqa: S603
                [
                    pg_tool("pg_dump", major),
                    "--format=custom",
                    f"--schema={_quote(schema)}",
                    f"--snapshot={snapshot}",
                    f"--file={work / DUMP}",
                ],
                env=database.environment(),
                capture_output=True,
                text=True,
                check=False,
            )
            if dump.returncode != 0:
                raise BackupError(f"pg_dump failed for {schema}: {dump.stderr.strip()}")
            tables = schema_tables(cursor, schema)
            cursor.execute(
                f"SELECT app, name FROM {_quote(schema)}.django_migrations ORDER BY app, name"  # noqa: S608
            )
            migrations = [list(row) for row in cursor.fetchall()]
            chronology = _chronology_head(cursor, schema)
            public = {s.table: _public_rows(cursor, s) for s in selections}
            public_checksums = {}
            for selection in selections:
                cursor.execute(
                    f"{_CHECKSUM} FROM public.{_quote(selection.table)} t WHERE t.id = ANY(%s)",
                    [selection.ids],
                )
                rows, digest = cursor.fetchone()
                public_checksums[selection.table] = {"rows": int(rows), "sha256": digest}
            cursor.execute(
                f"SELECT row_to_json(t) FROM public.{_quote(AuditEvent._meta.db_table)} t "  # noqa: S608
                "WHERE t.school_id = %s ORDER BY t.id",
                [school.pk],
            )
            audit = [row for (row,) in cursor.fetchall()]
            stored = _stored_files(cursor, schema, public)
        conn.rollback()
    finally:
        conn.close()

    (work / PUBLIC_ROWS).write_text(json.dumps(public, indent=1, sort_keys=True))
    (work / AUDIT_ROWS).write_text(json.dumps(audit, indent=1, sort_keys=True))
    objects = _backup_files(work, stored)
    files = {
        str(path.relative_to(work)): _sha256_file(path)
        for path in sorted(work.rglob("*"))
        if path.is_file()
    }
    return {
        "format": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "school": {
            "id": school.pk,
            "name": school.name,
            "slug": school.slug,
            "trust_id": school.trust_id,
            "schema_name": schema,
        },
        "postgresql_major": major,
        "migrations": migrations,
        "tables": tables,
        "public_tables": public_checksums,
        "audit_events": len(audit),
        "chronology": chronology,
        "objects": objects,
        "files": files,
    }


def _backup_files(work: Path, stored: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Copies each file into the backup; on a versioned S3 bucket, records its version instead
    (the bucket keeps that version for the retention period, docs/backups.md)."""
    storages = _storages()
    objects: list[dict[str, Any]] = []
    for alias, name in stored:
        storage = storages[alias]
        bucket = _versioned_bucket(storage)
        if bucket is not None:
            key = cast(Any, storage)._normalize_name(name)
            head = bucket.meta.client.head_object(Bucket=bucket.name, Key=key)
            objects.append(
                {
                    "storage": alias,
                    "name": name,
                    "s3_key": key,
                    "version_id": head["VersionId"],
                    "size": head["ContentLength"],
                }
            )
            continue
        target = work / FILES / alias / name
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with storage.open(name, "rb") as source, target.open("wb") as copy:
            shutil.copyfileobj(source, copy)
        objects.append({"storage": alias, "name": name, "copied": True})
    return objects


# --- restore --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreResult:
    school: School
    schema_name: str
    tables: int
    rows: int
    public_rows_recreated: int
    files_written: int
    copy: bool


def backup_manifest(backup: Path) -> dict[str, Any]:
    """The manifest, after every file of the backup was checked against it; BackupError if any
    file is missing, added or changed."""
    path = Path(backup) / MANIFEST
    try:
        manifest = cast(dict[str, Any], json.loads(path.read_text()))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{backup} has no readable {MANIFEST}: {exc}") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{backup} is in backup format {manifest.get('format')!r}, not 1.")
    listed: dict[str, str] = manifest["files"]
    present = {str(p.relative_to(backup)) for p in Path(backup).rglob("*") if p.is_file()} - {
        MANIFEST
    }
    problems = [f"{name} is missing" for name in sorted(set(listed) - present)]
    problems += [f"{name} is not in the manifest" for name in sorted(present - set(listed))]
    for name in sorted(set(listed) & present):
        if _sha256_file(Path(backup) / name) != listed[name]:
            problems.append(f"{name} does not match its SHA-256 in the manifest")
    if problems:
        raise BackupError(
            f"Backup {backup} refused, nothing was restored: " + "; ".join(problems) + "."
        )
    return manifest


def _migration_check(manifest: dict[str, Any]) -> bool:
    """True when the backup is behind the code (migrations to apply after the restore)."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    held = {tuple(pair) for pair in manifest["migrations"]}
    unknown = sorted(held - known)
    if unknown:
        raise BackupError(
            "The backup was made by a newer version of the code (migrations unknown here: "
            + ", ".join(f"{app}.{name}" for app, name in unknown[:5])
            + "); restore it with that version. Nothing was restored."
        )
    return bool(known - held)


class _CopyData(io.TextIOBase):
    """The data lines of one COPY block of a pg_restore script, read up to its `\\.` line."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self._buffer = ""
        self._done = False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        while not self._done and (size is None or size < 0 or len(self._buffer) < size):
            line = next(self._lines)
            if line == "\\.\n":
                self._done = True
            else:
                self._buffer += line
        if size is None or size < 0:
            size = len(self._buffer)
        chunk, self._buffer = self._buffer[:size], self._buffer[size:]
        return chunk

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        return self.read(size)

    def drain(self) -> None:
        while not self._done:
            self.read(1 << 16)


def _restore_script(cursor: Any, dump: Path, *, major: int, source: str, target: str) -> None:
    """Runs pg_restore's script of the dump on this cursor, in its transaction: the schema renamed
    to `target` in every statement, never inside the rows' data."""
    rename = re.compile(rf'(?<![\w"$]){re.escape(source)}(?![\w"$])')
    process = subprocess.Popen(  # noqa: S603
        [pg_tool("pg_restore", major), "--no-owner", "--file=-", str(dump)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        encoding="utf-8",
        env=os.environ | {"PGPASSWORD": ""},
    )
    assert process.stdout is not None  # noqa: S101 (stdout=PIPE above)
    lines = iter(process.stdout)
    statements: list[str] = []
    try:
        for line in lines:
            if line.startswith("COPY ") and line.rstrip().endswith("FROM stdin;"):
                if "".join(statements).strip():
                    cursor.execute("".join(statements))
                statements = []
                command = rename.sub(_quote(target), line) if source != target else line
                data = _CopyData(lines)
                cursor.copy_expert(command, data)
                data.drain()
            elif line.startswith(("\\restrict ", "\\unrestrict ")):
                # psql's guard against a script that smuggles in meta-commands; no psql here.
                continue
            elif line.startswith("\\"):
                raise BackupError(f"The dump's script holds a psql command: {line[:40]!r}.")
            elif not line.startswith("--"):
                statements.append(rename.sub(_quote(target), line) if source != target else line)
        if "".join(statements).strip():
            cursor.execute("".join(statements))
    finally:
        process.stdout.close()
        stderr = process.stderr.read() if process.stderr else ""
        if process.wait() != 0:
            raise BackupError(f"pg_restore could not read {dump.name}: {stderr.strip()}")


def _insert_row(cursor: Any, table: str, row: dict[str, Any], *, keep_id: bool = True) -> Any:
    columns = [name for name in row if keep_id or name != "id"]
    names = ", ".join(_quote(name) for name in columns)
    cursor.execute(
        f"INSERT INTO public.{_quote(table)} ({names}) "  # noqa: S608
        f"SELECT {names} FROM json_populate_record(NULL::public.{_quote(table)}, %s::json) "
        "ON CONFLICT DO NOTHING RETURNING id",
        [json.dumps(row)],
    )
    inserted = cursor.fetchone()
    return inserted[0] if inserted else None


def _bump_sequence(cursor: Any, table: str) -> None:
    # Rows came back with their ids: the next id the table hands out must be past them.
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f"public.{_quote(table)}"])
    sequence = cursor.fetchone()[0]
    if sequence:
        cursor.execute(
            f"SELECT setval(%s, GREATEST((SELECT max(id) FROM public.{_quote(table)}), "  # noqa: S608
            f"(SELECT last_value FROM {sequence})))",
            [sequence],
        )


def _public_recreate(cursor: Any, public: dict[str, list[dict[str, Any]]]) -> int:
    """Inserts the backup's public rows that are absent (by id); rows present stay as they are.
    Each row inserted is read back and must equal the backup's."""
    recreated = 0
    for table, rows in public.items():
        for row in rows:
            if _insert_row(cursor, table, row) is None:
                continue
            recreated += 1
            cursor.execute(
                f"SELECT row_to_json(t) FROM public.{_quote(table)} t WHERE t.id = %s",  # noqa: S608
                [row["id"]],
            )
            if cursor.fetchone()[0] != row:
                raise BackupError(f"Row {row['id']} of {table} did not come back as it was saved.")
        if rows:
            _bump_sequence(cursor, table)
    return recreated


def _free_urn(cursor: Any) -> str:
    # A school's URN is unique; a copy takes the highest free number, as no real school's URN is
    # that high (they run to about 150000 today).
    cursor.execute(
        "SELECT n::text FROM generate_series(999999, 990000, -1) n "
        "WHERE NOT EXISTS (SELECT 1 FROM public.tenants_school s WHERE s.urn = n::text) LIMIT 1"
    )
    return str(cursor.fetchone()[0])


def _copy_create(
    cursor: Any,
    manifest: dict[str, Any],
    public: dict[str, list[dict[str, Any]]],
    *,
    schema: str,
    domain: str,
) -> int:
    """The school row of a copy restored alongside: suspended, its own schema, slug and domain."""
    [original] = public[School._meta.db_table]
    slug = re.sub(r"[^a-z0-9-]", "-", domain.split(".", maxsplit=1)[0].lower())[:40]
    now = timezone.now().isoformat()
    copy = original | {
        "name": f"{original['name']} (restored copy of {manifest['created_at'][:10]})",
        "slug": slug,
        "urn": _free_urn(cursor),
        "schema_name": schema,
        "status": School.Status.SUSPENDED.value,
        "status_changed_at": now,
        "created_at": now,
    }
    school_id = _insert_row(cursor, School._meta.db_table, copy, keep_id=False)
    if school_id is None:
        raise BackupError(
            f"A school with the address {slug} already exists; choose another --domain."
        )
    domain_id = _insert_row(
        cursor,
        Domain._meta.db_table,
        {"domain": domain, "tenant_id": school_id, "is_primary": True},
        keep_id=False,
    )
    if domain_id is None:
        raise BackupError(f"The address {domain} is already in use.")
    return int(school_id)


def _copy_read_only(cursor: Any, schema: str) -> None:
    """Marks a copy and makes each of its tables refuse every write, whoever the role."""
    target = _quote(schema)
    cursor.execute(f"COMMENT ON SCHEMA {target} IS %s", [RESTORED_COPY_MARK])
    cursor.execute(
        f"CREATE FUNCTION {target}.restored_copy_read_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$BEGIN RAISE EXCEPTION 'This school is a restored copy, kept for inspection: nothing "
        "can be recorded into it (docs/backups.md).'; END$$"
    )
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY 1",
        [schema],
    )
    for (table,) in cursor.fetchall():
        cursor.execute(
            f"CREATE TRIGGER restored_copy_read_only BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {target}.{_quote(table)} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {target}.restored_copy_read_only()"
        )


def restored_copy_schemas() -> set[str]:
    """The schemas restored alongside their school for inspection."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_namespace n "
            "JOIN pg_description d ON d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass "
            "WHERE d.description = %s",
            [RESTORED_COPY_MARK],
        )
        return {name for (name,) in cursor.fetchall()}


def _compare_tables(expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    problems = [f"table {t} is missing" for t in sorted(set(expected) - set(found))]
    problems += [f"table {t} is not in the backup" for t in sorted(set(found) - set(expected))]
    for table in sorted(set(expected) & set(found)):
        if expected[table]["rows"] != found[table]["rows"]:
            problems.append(
                f"table {table} has {found[table]['rows']} rows, the backup "
                f"{expected[table]['rows']}"
            )
        elif expected[table]["sha256"] != found[table]["sha256"]:
            problems.append(f"table {table} differs from the backup's")
    return problems


def _restore_files(
    backup: Path, manifest: dict[str, Any], written: list[tuple[Storage, str]]
) -> None:
    """Puts each file of the backup back where its row expects it, when it is not there; a file
    that is there must be the same bytes."""
    storages = _storages()
    for item in manifest["objects"]:
        storage, name = storages[item["storage"]], item["name"]
        if "version_id" in item:
            _restore_version(storage, item)
            continue
        source = backup / FILES / item["storage"] / name
        if storage.exists(name):
            with storage.open(name, "rb") as current:
                digest = hashlib.sha256(current.read()).hexdigest()
            if digest != manifest["files"][str(source.relative_to(backup))]:
                raise BackupError(
                    f"Stored file {item['storage']}/{name} exists with other content than the "
                    "backup's; it was left as it is and nothing was restored."
                )
            continue
        saved = storage.save(name, ContentFile(source.read_bytes()))
        written.append((storage, saved))
        if saved != name:
            raise BackupError(f"Stored file {name} could not be written under its own name.")


def _restore_version(storage: Storage, item: dict[str, Any]) -> None:
    bucket = _versioned_bucket(storage)
    if bucket is None:
        raise BackupError(
            f"{item['name']} is kept as an S3 object version, but the documents' storage is not a "
            "versioned bucket here."
        )
    client = bucket.meta.client
    try:
        client.head_object(Bucket=bucket.name, Key=item["s3_key"], VersionId=item["version_id"])
    except Exception as exc:  # botocore's ClientError: the version has expired or never existed
        raise BackupError(
            f"Version {item['version_id']} of {item['s3_key']} is no longer in the bucket: {exc}"
        ) from None
    current = (
        client.head_object(Bucket=bucket.name, Key=item["s3_key"])
        if _s3_exists(client, bucket.name, item["s3_key"])
        else None
    )
    if current is None or current.get("VersionId") != item["version_id"]:
        client.copy_object(
            Bucket=bucket.name,
            Key=item["s3_key"],
            CopySource={
                "Bucket": bucket.name,
                "Key": item["s3_key"],
                "VersionId": item["version_id"],
            },
        )


def _s3_exists(client: Any, bucket: str, key: str) -> bool:
    try:
        client.head_object(Bucket=bucket, Key=key)
    except Exception:  # a missing key, or a delete marker
        return False
    return True


@dataclass(frozen=True)
class _Plan:
    backup: Path
    manifest: dict[str, Any]
    public: dict[str, list[dict[str, Any]]]
    source: str
    target: str
    domain: str

    @property
    def copy(self) -> bool:
        return self.target != self.source


def _chain_check(cursor: Any, schema: str, model: type[HashChainedModel]) -> BrokenLink | None:
    """chain_verify's walk, on this cursor: inside the restore's transaction, before it commits."""
    fields = [model._meta.get_field(name) for name in model.hashed_fields]
    columns = ", ".join(_quote(cast("models.Field[Any, Any]", f).column) for f in fields)
    cursor.execute(
        f"SELECT id, prev_hash, row_hash, {columns} "  # noqa: S608
        f"FROM {_quote(schema)}.{_quote(model._meta.db_table)} ORDER BY id"
    )
    rows = cursor.fetchall()
    # Entries lawfully destroyed are checked by their links alone (docs/rules.md, "Retention").
    tombstones: set[int] = set()
    if model._meta.db_table == "safeguarding_chronologyentry":
        cursor.execute(
            "SELECT record_ids -> 'chronology_entries' "  # noqa: S608
            f"FROM {_quote(schema)}.safeguarding_destruction WHERE status = 'destroyed'"
        )
        for (ids,) in cursor.fetchall():
            tombstones.update(int(i) for i in ids or [])
    expected_prev = GENESIS_HASH
    for row_id, prev_hash, row_hash, *values in rows:
        if prev_hash != expected_prev:
            return BrokenLink(row_id=row_id, problem="prev_hash does not follow the row before")
        if row_id in tombstones:
            expected_prev = row_hash
            continue
        if row_hash != row_hash_of(
            model, dict(zip(model.hashed_fields, values, strict=True)), prev_hash
        ):
            return BrokenLink(row_id=row_id, problem="row_hash does not match its contents")
        expected_prev = row_hash
    return None


def _restore_in_transaction(
    cursor: Any, plan: _Plan, written: list[tuple[Storage, str]]
) -> tuple[int, int]:
    """Everything of a restore that the transaction undoes; returns (school id, rows recreated)."""
    major = _server_major(cursor)
    cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [plan.target])
    if cursor.fetchone():
        raise BackupError(
            f"Schema {plan.target} exists: drop it first, or restore alongside under another "
            "name with --as and --domain. Nothing was restored."
        )
    if plan.copy:
        school_id = _copy_create(
            cursor, plan.manifest, plan.public, schema=plan.target, domain=plan.domain
        )
        recreated = 2
    else:
        cursor.execute("SELECT id FROM public.tenants_school WHERE schema_name = %s", [plan.source])
        row = cursor.fetchone()
        school_id = plan.manifest["school"]["id"]
        if row is not None and row[0] != school_id:
            raise BackupError(
                f"Another school (id {row[0]}) holds the schema name {plan.source}; restore "
                "this backup alongside with --as and --domain. Nothing was restored."
            )
        recreated = _public_recreate(cursor, plan.public)
    _restore_script(cursor, plan.backup / DUMP, major=major, source=plan.source, target=plan.target)
    cursor.execute("SET search_path TO public")
    problems = _compare_tables(plan.manifest["tables"], schema_tables(cursor, plan.target))
    if _chronology_head(cursor, plan.target) != plan.manifest["chronology"]:
        problems.append("the chronology's chain head differs from the backup's")
    for model in (ChronologyEntry, AccessLogEntry):
        if (broken := _chain_check(cursor, plan.target, model)) is not None:
            problems.append(
                f"the {model._meta.verbose_name} chain breaks at row {broken.row_id}: "
                f"{broken.problem}"
            )
    if problems:
        raise BackupError(
            "The restored schema does not match the backup, nothing was restored: "
            + "; ".join(problems)
            + "."
        )
    if plan.copy:
        _copy_read_only(cursor, plan.target)
    _restore_files(plan.backup, plan.manifest, written)
    return int(school_id), recreated


def school_restore(*, backup: Path, as_schema: str = "", domain: str = "") -> RestoreResult:
    """Restores a backup: in place (its schema must be absent; public rows recreated when
    absent) or, with `as_schema` and `domain`, alongside as a suspended, read-only copy."""
    backup = Path(backup)
    manifest = backup_manifest(backup)
    behind = _migration_check(manifest)
    source = manifest["school"]["schema_name"]
    if as_schema and not domain:
        raise BackupError("A copy restored alongside needs its own --domain.")
    target = as_schema or source
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", target):
        raise BackupError(f"{target!r} cannot name a schema: lower-case letters, digits, _.")
    plan = _Plan(
        backup=backup,
        manifest=manifest,
        public=json.loads((backup / PUBLIC_ROWS).read_text()),
        source=source,
        target=target,
        domain=domain,
    )
    conn = owner_database().connect()
    written: list[tuple[Storage, str]] = []
    try:
        with conn.cursor() as cursor:
            school_id, recreated = _restore_in_transaction(cursor, plan, written)
        conn.commit()
    except BaseException as exc:
        conn.rollback()
        for storage, name in written:
            storage.delete(name)
        if isinstance(exc, psycopg2.Error):
            raise BackupError(f"The restore failed and was undone: {exc}".strip()) from exc
        raise
    finally:
        conn.close()

    # The application role's privileges on the restored schema, as on a school created anew.
    app_role_grant(schemas=[target])
    school = School.objects.get(pk=school_id)
    # The same walk again, as `manage.py verify_chronology` makes it, through the app's models.
    _chains_verify_or_undo(school, copy=plan.copy, written=written)
    if behind and not plan.copy:
        call_command("migrate_schemas", schema_name=target, interactive=False, verbosity=0)
    audit_record(
        action=AuditAction.SCHOOL_RESTORED,
        school=school,
        target_type="school",
        target_id=school.pk,
        data={
            "schema_name": target,
            "from_schema": source,
            "backup_created_at": manifest["created_at"],
            "copy": plan.copy,
        },
    )
    return RestoreResult(
        school=school,
        schema_name=target,
        tables=len(manifest["tables"]),
        rows=sum(table["rows"] for table in manifest["tables"].values()),
        public_rows_recreated=recreated,
        files_written=len(written),
        copy=plan.copy,
    )


def _chains_verify_or_undo(
    school: School, *, copy: bool, written: list[tuple[Storage, str]]
) -> None:
    """Walks the restored chronology and access log; a broken link undoes the restore."""
    with schema_context(school.schema_name):
        broken = chain_verify(ChronologyEntry) or chain_verify(AccessLogEntry)
    if broken is None:
        return
    with owner_connection():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {_quote(school.schema_name)} CASCADE")
        if copy:
            Domain.objects.filter(tenant=school).delete()
            School.objects.filter(pk=school.pk).delete()
    for storage, name in written:
        storage.delete(name)
    raise BackupError(
        f"The restored chain is broken at row {broken.row_id} ({broken.problem}); the restored "
        "schema was dropped again."
    )


# --- nightly backups and their keeping ------------------------------------------------------------


def backups_of(root: Path, schema: str) -> list[Path]:
    """The complete backups of a schema under root, oldest first."""
    folder = Path(root) / schema
    if not folder.is_dir():
        return []
    return sorted(
        path for path in folder.iterdir() if path.is_dir() and not path.name.endswith(_PARTIAL)
    )


def _taken_at(path: Path) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(path.name.removesuffix(_PARTIAL), "%Y%m%dT%H%M%S%fZ").replace(
            tzinfo=dt.UTC
        )
    except ValueError:
        return None


def school_backup_nightly(*, school: School, root: Path) -> Path | None:
    """Today's backup of the school, unless one was already made today (UTC): safe to run twice."""
    today = timezone.now().astimezone(dt.UTC).date()
    for path in backups_of(root, school.schema_name):
        taken = _taken_at(path)
        if taken is not None and taken.date() == today:
            return None
    return school_backup(school=school, root=root)


def backups_prune(*, root: Path, keep_days: int) -> list[Path]:
    """Removes backups older than keep_days, except each school's newest, and partial folders
    left a day ago by an interrupted backup. Returns what was removed."""
    now = timezone.now()
    removed: list[Path] = []
    root = Path(root)
    if not root.is_dir():
        return removed
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        complete = backups_of(root, folder.name)
        for path in complete[:-1]:
            taken = _taken_at(path)
            if taken is not None and now - taken > dt.timedelta(days=keep_days):
                shutil.rmtree(path)
                removed.append(path)
        for path in folder.glob(f"*{_PARTIAL}"):
            taken = _taken_at(path)
            if taken is not None and now - taken > dt.timedelta(days=1):
                shutil.rmtree(path)
                removed.append(path)
    return removed


def schools_to_back_up() -> list[School]:
    """Every school, suspended ones too (their records are kept), but not restored copies."""
    copies = restored_copy_schemas()
    return [
        school
        for school in School.objects.exclude(schema_name=get_public_schema_name()).order_by("pk")
        if school.schema_name not in copies
    ]
