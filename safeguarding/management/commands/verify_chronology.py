"""`manage.py verify_chronology`: walks every school's chronology hash chain, one line each, and
fails (non-zero exit) naming the first broken link when an entry was changed in the database.

Entries lawfully destroyed at the end of their retention (docs/rules.md, "Retention") are
tombstones: each is checked by its links and must be named by a destruction certificate; the
line says how many there are and under which certificates."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from safeguarding.models import ChronologyEntry
from safeguarding.selectors.retention import chronology_tombstones
from trustplatform.audit.management.commands.verify_audit import ChainCheckCommand
from trustplatform.hashchain import HashChainedModel, chain_verify


class Command(ChainCheckCommand):
    help = "Verifies the hash chain of each school's chronology."

    def _check_chain(self, label: str, model: type[HashChainedModel], scope: str | None) -> bool:
        tombstones = chronology_tombstones()
        broken = chain_verify(model, scope, tombstones=tombstones.keys())
        if broken is not None:
            self.stdout.write(
                f"{label}: FIRST BROKEN LINK at row {broken.row_id}: {broken.problem}"
            )
            return False
        line = f"{label}: {model._default_manager.count()} rows, intact"
        if tombstones:
            certificates = ", ".join(str(pk) for pk in sorted(set(tombstones.values())))
            line += (
                f"; {len(tombstones)} lawfully destroyed (destruction certificates {certificates})"
            )
        self.stdout.write(line)
        return True

    def handle(self, *args: Any, **options: Any) -> None:
        if not self._check_schools("chronology", ChronologyEntry):
            raise CommandError("A chronology chain is broken; see the lines above.")
