"""`migrate_schemas` (and `migrate`) that also keeps the school template schema current.

After a full run (public schema and every school), the template schema that new schools are cloned
from is brought to the same migrations, so a school created after a deploy is never stale.

It runs as the owner role (DATABASE_OWNER_URL), which owns what migrations make, and then gives the
application role its grants again on every schema (tenants/db_roles.py), so that a table a
migration made, or made append-only, is covered at once.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

from tenants.db import owner_connection
from tenants.db_roles import app_role_grant
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
        # The owner's connection stands in for the default alias, the only one django-tenants'
        # router migrates (the test runner asks for the owner's alias by name).
        options["database"] = DEFAULT_DB_ALIAS
        with owner_connection():
            self._migrate(*args, **options)
        app_role_grant(schemas=[options["schema_name"]] if options.get("schema_name") else None)

    def _migrate(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        if options.get("skip_template") or options.get("schema_name"):
            return
        if template_schema_ensure() and int(options.get("verbosity", 1)) >= 1:
            self.stdout.write("Rebuilt the school template schema.")
