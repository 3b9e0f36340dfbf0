"""`manage.py verify_audit`: checks the hash chains of the platform audit log (each scope's chain:
each trust's, the anonymous sign-in events', the platform's) and of every school's access log,
one line each; fails (non-zero exit) when any chain is broken, or no longer holds a head exported
to write-once storage before (trustplatform/audit/heads.py).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_public_schema_name, schema_context

from safeguarding.models import AccessLogEntry
from tenants.db import school_connection
from tenants.models import School
from trustplatform.audit.heads import Head, chain_key, heads_exported, heads_lost
from trustplatform.audit.models import AuditEvent
from trustplatform.hashchain import HashChainedModel, chain_scopes, chain_verify


class ChainCheckCommand(BaseCommand):
    """Prints one line per chain; fails when any is broken. Shared by verify_chronology."""

    def _check(self, label: str, model: type[HashChainedModel]) -> bool:
        intact = True
        # A table of several chains is walked chain by chain, each named on its line.
        for scope in chain_scopes(model):
            intact &= self._check_chain(
                label if scope is None else f"{label}, {scope}", model, scope
            )
        return intact

    _exported: dict[str, list[tuple[str, Head]]] | None = None

    def _heads_exported(
        self, model: type[HashChainedModel], scope: str | None
    ) -> list[tuple[str, Head]]:
        """The heads of this chain exported to write-once storage (trustplatform/audit/heads.py)."""
        if self._exported is None:
            self._exported = heads_exported()
        schema = (
            get_public_schema_name()
            if model.chain_in_public_schema
            else school_connection.schema_name
        )
        return self._exported.get(chain_key(schema, model, scope), [])

    def _intact_note(self, model: type[HashChainedModel], scope: str | None) -> str:
        """Said after "intact" on a chain's line; nothing unless a command has more to say."""
        return ""

    def _check_chain(self, label: str, model: type[HashChainedModel], scope: str | None) -> bool:
        # Rows lawfully erased are the table's own chain_tombstones(), checked by their links.
        broken = chain_verify(model, scope)
        if broken is not None:
            self.stdout.write(
                f"{label}: FIRST BROKEN LINK at row {broken.row_id}: {broken.problem}"
            )
            return False
        # A chain rewritten and hashed again verifies; the heads exported before it was
        # rewritten are what it no longer holds.
        exported = self._heads_exported(model, scope)
        if lost := heads_lost(model, exported):
            self.stdout.write(
                f"{label}: EXPORTED HEAD LOST: row {lost[0].row_id} of {lost[0].export}: "
                f"{lost[0].problem}"
            )
            return False
        rows = model._default_manager.all()
        if scope is not None and model.chain_scope_field:
            rows = rows.filter(**{model.chain_scope_field: scope})
        heads = f", {len(exported)} exported heads held" if exported else ""
        note = self._intact_note(model, scope)
        self.stdout.write(f"{label}: {rows.count()} rows{heads}, intact{note}")
        return True

    def _check_schools(self, label: str, model: type[HashChainedModel]) -> bool:
        intact = True
        # Only the platform layer crosses schools (docs/architecture.md): it enters each explicitly.
        for school in list(School.objects.order_by("schema_name")):
            with schema_context(school.schema_name):
                intact &= self._check(f"{school.schema_name} {label}", model)
        return intact


class Command(ChainCheckCommand):
    help = (
        "Verifies the hash chains of the platform audit log (one per scope) and of each "
        "school's access log."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        intact = self._check("platform audit log", AuditEvent)
        intact &= self._check_schools("access log", AccessLogEntry)
        if not intact:
            raise CommandError("At least one audit chain is broken; see the lines above.")
