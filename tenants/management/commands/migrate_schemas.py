"""`migrate_schemas` (and `migrate`) that also keeps the school template schema current.

After a full run (public schema and every school), the template schema that new schools are cloned
from is brought to the same migrations, so a school created after a deploy is never stale.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from tenants.services import template_schema_ensure


class Command(MigrateSchemasCommand):
    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--skip-template",
            action="store_true",
            dest="skip_template",
            help="Do not rebuild the school template schema after migrating.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        if options.get("skip_template") or options.get("schema_name"):
            return
        if template_schema_ensure() and int(options.get("verbosity", 1)) >= 1:
            self.stdout.write("Rebuilt the school template schema.")
