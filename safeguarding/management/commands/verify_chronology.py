"""`manage.py verify_chronology`: walks every school's chronology hash chain, one line each, and
fails (non-zero exit) naming the first broken link when an entry was changed in the database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from safeguarding.models import ChronologyEntry
from trustplatform.audit.management.commands.verify_audit import ChainCheckCommand


class Command(ChainCheckCommand):
    help = "Verifies the hash chain of each school's chronology."

    def handle(self, *args: Any, **options: Any) -> None:
        if not self._check_schools("chronology", ChronologyEntry):
            raise CommandError("A chronology chain is broken; see the lines above.")
