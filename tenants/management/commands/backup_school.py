"""`manage.py backup_school <schema or domain> [--output DIR]`: one school's backup, in a folder of
its own under DIR (settings.BACKUP_ROOT by default); docs/backups.md says what it holds."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from tenants.backups import BackupError, school_backup
from tenants.models import School


def school_named(name: str) -> School:
    """The school with this schema, domain or subdomain."""
    school = School.objects.filter(
        Q(schema_name=name) | Q(domains__domain=name) | Q(slug=name)
    ).first()
    if school is None:
        raise CommandError(f"No school has the schema, domain or subdomain “{name}”.")
    return school


class Command(BaseCommand):
    help = "Writes a backup of one school: its schema, public rows, documents and a manifest."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("school", help="The school's schema name or domain.")
        parser.add_argument(
            "--output", type=Path, default=None, help="Folder of backups (BACKUP_ROOT)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        school = school_named(options["school"])
        root = options["output"] or Path(settings.BACKUP_ROOT)
        try:
            folder = school_backup(school=school, root=root)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Backed up {school.schema_name} into {folder}")
