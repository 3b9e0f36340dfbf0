"""`manage.py restore_school <backup> [--as NEW_SCHEMA --domain NEW_DOMAIN]`: restores a school
from its backup folder, in place or alongside as a read-only copy (docs/backups.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tenants.backups import BackupError, school_restore


class Command(BaseCommand):
    help = (
        "Restores a school from a backup folder after checking every file against its manifest; "
        "with --as and --domain, alongside the school as a suspended, read-only copy."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("backup", type=Path, help="The backup's folder.")
        parser.add_argument(
            "--as", dest="as_schema", default="", help="Restore into this new schema instead."
        )
        parser.add_argument("--domain", default="", help="The copy's own domain (with --as).")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["as_schema"]) != bool(options["domain"]):
            raise CommandError("--as and --domain go together.")
        try:
            result = school_restore(
                backup=options["backup"],
                as_schema=options["as_schema"],
                domain=options["domain"],
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        what = "a read-only, suspended copy" if result.copy else "the school"
        self.stdout.write(
            f"Restored {what} into schema {result.schema_name}: {result.tables} tables, "
            f"{result.rows} rows, {result.public_rows_recreated} public rows recreated, "
            f"{result.files_written} files written; every table, file and the chronology's "
            "chain verified."
        )
