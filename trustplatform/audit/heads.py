"""Chain heads kept where the database cannot reach them (docs/security.md, "Chain heads").

A hash chain shows a row changed in place, but someone with the owner role's rights can switch a
table's trigger off, rewrite a row and hash every row after it again: the chain verifies. What
they cannot rewrite is what left the database before. Each night the head of every chain (its
last row's id and row_hash: the platform audit log's chains, and each school's chronology and
access log) is written to write-once storage (`STORAGES["chain_heads"]`: an S3 bucket with
Object Lock in production, a folder whose files are created once and never replaced elsewhere).
`verify_chronology` and `verify_audit` then also check that every head exported before is still
in its chain with the same hash; a chain rewritten after an export no longer holds it.

The files hold schema names, table names, scopes, row ids and hashes: never a child's data.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from safeguarding.models import AccessLogEntry, ChronologyEntry
from tenants.models import School
from trustplatform.audit.models import AuditAction, AuditEvent
from trustplatform.audit.services import audit_record
from trustplatform.hashchain import HashChainedModel, chain_scopes
from trustplatform.outbox.registry import Email, outbox_kind_register
from trustplatform.outbox.services import outbox_add

logger = logging.getLogger(__name__)

STORAGE_ALIAS = "chain_heads"
# A school's own chains (each school's schema holds its copy of these tables).
SCHOOL_CHAINS: tuple[type[HashChainedModel], ...] = (ChronologyEntry, AccessLogEntry)


@dataclass(frozen=True)
class Head:
    """The last row of one chain when it was exported."""

    chain: str  # chain_key()
    row_id: int
    row_hash: str


@dataclass(frozen=True)
class HeadLost:
    """A head exported earlier that its chain no longer holds."""

    export: str  # the export file's name
    row_id: int
    problem: str


def chain_key(schema: str, model: type[HashChainedModel], scope: str | None) -> str:
    """The name of one chain in the exports: schema.table, and #scope for a table of several."""
    return f"{schema}.{model._meta.db_table}" + (f"#{scope}" if scope else "")


def heads_storage() -> Storage:
    return storages[STORAGE_ALIAS]


def _chains() -> Iterator[tuple[str, type[HashChainedModel], str | None]]:
    """Every chain: (schema, model, scope). Only the platform layer crosses schools."""
    public = get_public_schema_name()
    for scope in chain_scopes(AuditEvent):
        yield public, AuditEvent, scope
    for schema in School.objects.order_by("schema_name").values_list("schema_name", flat=True):
        for model in SCHOOL_CHAINS:
            yield schema, model, None


def chain_heads_read() -> list[Head]:
    """The current head of every chain that has a row."""
    heads = []
    for schema, model, scope in _chains():
        with schema_context(schema):
            rows = model._default_manager.all()
            if scope is not None and model.chain_scope_field:
                rows = rows.filter(**{model.chain_scope_field: scope})
            last = rows.order_by("-pk").values_list("pk", "row_hash").first()
        if last is not None:
            heads.append(
                Head(chain=chain_key(schema, model, scope), row_id=last[0], row_hash=last[1])
            )
    return heads


def chain_heads_export(*, now: dt.datetime | None = None) -> str:
    """Writes every chain's head to write-once storage as a new file; returns its name.

    Safe to run twice: each run writes a file of its own (named by the second it ran), and a file
    once written is never replaced.
    """
    now = now or timezone.now()
    # Each chain's head is read on its own: a head read a moment after another's is as good a
    # witness of its own chain, and rows committed meanwhile are covered by the next export.
    heads = chain_heads_read()
    document = {
        "exported_at": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "heads": [
            {"chain": head.chain, "row_id": head.row_id, "row_hash": head.row_hash}
            for head in heads
        ],
    }
    name = now.astimezone(dt.UTC).strftime("heads-%Y%m%dT%H%M%SZ.json")
    saved = heads_storage().save(name, ContentFile(json.dumps(document, indent=1).encode()))
    logger.info("Exported %d chain heads to %s", len(heads), saved)
    return saved


def heads_exported() -> dict[str, list[tuple[str, Head]]]:
    """Every head of every export, by chain: [(export name, head)], oldest export first."""
    storage = heads_storage()
    try:
        _, names = storage.listdir("")
    except FileNotFoundError:  # a folder not made yet: nothing was ever exported
        return {}
    exported: dict[str, list[tuple[str, Head]]] = defaultdict(list)
    for name in sorted(n for n in names if n.startswith("heads-") and n.endswith(".json")):
        with storage.open(name) as handle:
            document = json.loads(handle.read())
        for item in document["heads"]:
            head = Head(chain=item["chain"], row_id=int(item["row_id"]), row_hash=item["row_hash"])
            exported[head.chain].append((name, head))
    return exported


def heads_lost(model: type[HashChainedModel], exported: list[tuple[str, Head]]) -> list[HeadLost]:
    """The heads exported earlier for one chain (in the current schema) that it no longer holds:
    its row is gone, or hashes otherwise (the chain was rewritten and hashed again after it)."""
    if not exported:
        return []
    ids = {head.row_id for _, head in exported}
    found = dict(model._default_manager.filter(pk__in=ids).values_list("pk", "row_hash"))
    lost = []
    for export, head in exported:
        if head.row_id not in found:
            lost.append(HeadLost(export, head.row_id, "that row is no longer in the chain"))
        elif found[head.row_id] != head.row_hash:
            lost.append(
                HeadLost(export, head.row_id, "that row's hash changed: the chain was rewritten")
            )
    return lost


CHAIN_ALERT_EMAIL = "audit.chain_check_failed"


def chains_verify_and_page() -> bool:
    """Beat, nightly: every chain walked and checked against the exported heads; a failure pages
    the operator (an outbox email to OPERATOR_EMAIL and an error log line). True when intact.

    What is reported names chains and row ids, never a record's contents.
    """
    out = StringIO()
    failed = []
    for command in ("verify_audit", "verify_chronology"):
        try:
            call_command(command, stdout=out)
        except CommandError:
            failed.append(command)
    if not failed:
        return True
    lines = [line for line in out.getvalue().splitlines() if not line.endswith(", intact")]
    logger.error("Hash chain check failed (%s): %s", ", ".join(failed), " | ".join(lines))
    with transaction.atomic():
        event = audit_record(
            action=AuditAction.CHAIN_CHECK_FAILED,
            target_type="chains",
            data={"commands": failed, "lines": lines[:100]},
        )
        outbox_add(kind=CHAIN_ALERT_EMAIL, object_id=event.pk)
    return False


def chain_alert_email(event_id: int) -> Email | None:
    """The operator's page about a failed chain check: which chains, which rows, nothing more."""
    event = AuditEvent.objects.filter(pk=event_id, action=AuditAction.CHAIN_CHECK_FAILED).first()
    if event is None or not settings.OPERATOR_EMAIL:
        return None
    lines = [str(line) for line in event.data.get("lines", [])]
    return Email(
        subject="Safeguarding records: a hash chain check failed",
        body=(
            "The nightly check of the hash chains found a chain that no longer verifies, or no\n"
            "longer holds a head exported to write-once storage: rows were changed in the\n"
            'database outside the application (docs/security.md, "Chain heads").\n\n'
            + "\n".join(lines)
            + f"\n\nPlatform audit event {event.pk}. Run manage.py verify_audit and "
            "manage.py verify_chronology for the full report.\n"
        ),
        to=[settings.OPERATOR_EMAIL],
    )


outbox_kind_register(CHAIN_ALERT_EMAIL, render=chain_alert_email)
