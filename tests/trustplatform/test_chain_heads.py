"""Chain heads exported to write-once storage catch a chain rewritten and hashed again by someone
holding the owner role's rights (docs/security.md, "Chain heads")."""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.models import ChronologyEntry
from safeguarding.services.chronology import chronology_append
from tests.conftest import World
from tests.safeguarding.conftest import make_pupil, person
from trustplatform.accounts.models import Role
from trustplatform.audit.heads import (
    CHAIN_ALERT_EMAIL,
    chain_heads_export,
    chains_verify_and_page,
    heads_storage,
)
from trustplatform.audit.tasks import chain_heads_export_task
from trustplatform.hashchain import chain_verify, row_hash_of
from trustplatform.outbox.models import OutboxMessage
from trustplatform.outbox.services import outbox_send

SECRET = "Wren said the bruise came from the cupboard door"


@pytest.fixture
def heads_folder(settings: SettingsWrapper, tmp_path: Path) -> Iterator[Path]:
    """The write-once folder of this test alone."""
    folder = tmp_path / "chain-heads"
    settings.STORAGES = settings.STORAGES | {
        "chain_heads": {
            "BACKEND": "trustplatform.storage.WriteOnceFileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        }
    }
    yield folder
    for file in folder.glob("*"):  # read-only files: let pytest clean its folder
        file.chmod(0o644)


def _entries(world: World, count: int) -> list[ChronologyEntry]:
    author = person(world.person("a", Role.DSL), Role.DSL)
    pupil = make_pupil("Wren", "Halloway")
    return [
        chronology_append(
            pupil=pupil,
            kind=ChronologyEntry.Kind.NOTE,
            author=author,
            title=f"Note {n}",
            body=SECRET if n == 0 else f"Nothing new, visit {n}",
        )
        for n in range(count)
    ]


def _rewrite_and_rehash(entry: ChronologyEntry, body: str) -> None:
    """What the owner role can do: triggers off, a row changed, every hash from it on made again,
    triggers on. The chain then verifies."""
    table = ChronologyEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(f"UPDATE {table} SET body = %s WHERE id = %s", [body, entry.pk])  # noqa: S608
        prev = (
            ChronologyEntry.objects.filter(pk__lt=entry.pk)
            .order_by("-pk")
            .values_list("row_hash", flat=True)
            .first()
        ) or "0" * 64
        for row in ChronologyEntry.objects.filter(pk__gte=entry.pk).order_by("pk"):
            values = {name: row.serializable_value(name) for name in ChronologyEntry.hashed_fields}
            new_hash = row_hash_of(ChronologyEntry, values, prev)
            cursor.execute(
                f"UPDATE {table} SET prev_hash = %s, row_hash = %s WHERE id = %s",  # noqa: S608
                [prev, new_hash, row.pk],
            )
            prev = new_hash
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def test_the_heads_go_to_a_read_only_file_that_is_never_replaced(
    world: World, db: None, heads_folder: Path
) -> None:
    with schema_context(world.school_a.schema_name):
        last = _entries(world, 2)[-1]

    name = chain_heads_export_task()

    file = heads_folder / name
    assert not file.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    heads = {head["chain"]: head for head in json.loads(file.read_text())["heads"]}
    chronology = heads[f"{world.school_a.schema_name}.safeguarding_chronologyentry"]
    assert (chronology["row_id"], chronology["row_hash"]) == (last.pk, last.row_hash)
    assert any(chain.startswith("public.audit_auditevent#") for chain in heads)
    assert "Wren" not in file.read_text() and "bruise" not in file.read_text()
    with pytest.raises(FileExistsError):
        heads_storage().save(name, ContentFile(b"{}"))
    with pytest.raises(PermissionError):
        heads_storage().delete(name)
    assert json.loads(file.read_text())["heads"]  # still the export


def test_a_chain_rewritten_and_hashed_again_by_the_owner_is_caught_by_the_exported_heads(  # noqa: PLR0917
    as_owner: None,
    world: World,
    heads_folder: Path,
    settings: SettingsWrapper,
    caplog: pytest.LogCaptureFixture,
    mailoutbox: list[EmailMessage],
) -> None:
    settings.OPERATOR_EMAIL = "operator@example.org"
    with schema_context(world.school_a.schema_name):
        entries = _entries(world, 4)
        first, exported_head = entries[0], entries[-1]
        chain_heads_export()
        _entries(world, 1)  # the chain goes on after the export

        _rewrite_and_rehash(first, "Nothing was said.")

        # The chain itself verifies: only the exported head shows the rewrite.
        assert chain_verify(ChronologyEntry) is None
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_chronology", stdout=out)
    assert (
        f"{world.school_a.schema_name} chronology: EXPORTED HEAD LOST: row {exported_head.pk} of "
    ) in out.getvalue()
    assert "that row's hash changed: the chain was rewritten" in out.getvalue()
    assert f"{world.school_b.schema_name} chronology: 0 rows, intact" in out.getvalue()

    # The nightly check pages the operator: an email from the outbox and an error log line.
    with caplog.at_level(logging.ERROR):
        assert chains_verify_and_page() is False
    message = OutboxMessage.objects.get(kind=CHAIN_ALERT_EMAIL)
    assert outbox_send(message_id=message.pk)
    [email] = mailoutbox
    assert email.to == ["operator@example.org"]
    assert "EXPORTED HEAD LOST" in email.body
    assert f"{world.school_a.schema_name} chronology" in email.body
    [line] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "EXPORTED HEAD LOST" in line
    for said in (f"{email.subject}\n{email.body}", line):
        assert "Wren" not in said and "Halloway" not in said and "Nothing was said" not in said


def test_a_deleted_head_is_caught_too_and_untouched_chains_pass(
    as_owner: None, world: World, heads_folder: Path
) -> None:
    with schema_context(world.school_a.schema_name):
        *_, last = _entries(world, 3)
        chain_heads_export()
        out = StringIO()
        call_command("verify_chronology", stdout=out)
        assert (
            f"{world.school_a.schema_name} chronology: 3 rows, 1 exported heads held, intact"
        ) in out.getvalue()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE safeguarding_chronologyentry DISABLE TRIGGER USER")
            cursor.execute("DELETE FROM safeguarding_chronologyentry WHERE id = %s", [last.pk])
            cursor.execute("ALTER TABLE safeguarding_chronologyentry ENABLE TRIGGER USER")
        assert chain_verify(ChronologyEntry) is None  # the last row leaves no broken link
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_chronology", stdout=out)
    assert f"EXPORTED HEAD LOST: row {last.pk} of " in out.getvalue()
    assert "that row is no longer in the chain" in out.getvalue()
    intact = StringIO()
    call_command("verify_audit", stdout=intact)
    assert "exported heads held, intact" in intact.getvalue()


def test_the_nightly_tasks_are_scheduled() -> None:
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"audit.chains_verify", "audit.chain_heads_export"} <= tasks
