"""`manage.py verify_chronology`: walks every school's chronology hash chain, one line each, and
fails (non-zero exit) naming the first broken link when an entry was changed in the database.

Entries lawfully destroyed at the end of their retention (docs/rules.md, "Retention") are
tombstones: each is checked by its links and must be named by a destruction certificate; the
line says how many there are and under which certificates. Like verify_audit, it also fails when
a chain no longer holds a head exported to write-once storage (trustplatform/audit/heads.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from safeguarding.models import ChronologyEntry
from safeguarding.selectors.retention import chronology_tombstones
from trustplatform.audit.management.commands.verify_audit import ChainCheckCommand
from trustplatform.hashchain import HashChainedModel


class Command(ChainCheckCommand):
    help = "Verifies the hash chain of each school's chronology."

    def _intact_note(self, model: type[HashChainedModel], scope: str | None) -> str:
        # The chain check itself accepts these tombstones: ChronologyEntry.chain_tombstones().
        tombstones = chronology_tombstones()
        if not tombstones:
            return ""
        certificates = ", ".join(str(pk) for pk in sorted(set(tombstones.values())))
        return f"; {len(tombstones)} lawfully destroyed (destruction certificates {certificates})"

    def handle(self, *args: Any, **options: Any) -> None:
        if not self._check_schools("chronology", ChronologyEntry):
            raise CommandError("A chronology chain is broken; see the lines above.")
