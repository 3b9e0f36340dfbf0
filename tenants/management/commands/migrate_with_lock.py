"""`manage.py migrate_with_lock`: `migrate_schemas` run by one process at a time.

Every web replica runs it when it starts (deploy/entrypoint.sh). The first to take a PostgreSQL
advisory lock migrates the public schema, every school and the template; the others wait for the
lock, then find nothing left to apply and start serving. Without the lock, two replicas starting
together would apply the same migration twice at once, and one would fail half-way
(docs/runbook.md, "Deploy").

The lock is held on a connection of its own, so it is kept however `migrate_schemas` uses or closes
Django's connection, and released by PostgreSQL if this process dies. Everything runs as the owner
role (DATABASE_OWNER_URL, tenants.db.owner_connection); `migrate_schemas` then grants the
application's role (DATABASE_URL's user) its privileges, so both URLs are given as they are.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg2.errors import LockNotAvailable

from tenants.db import owner_connection
from tenants.management.commands.migrate_schemas import (
    schemas_behind as migrate_schemas_behind,
)
from tenants.management.commands.migrate_schemas import (
    school_table_exists,
)
from tenants.services import template_schema_ensure

# Arbitrary, and unlike tenants.services' provisioning lock: school creation takes that one
# inside migrate_schemas (the template rebuild), which must not wait for this one.
MIGRATION_LOCK_ID = 7_411_003


def schemas_behind() -> list[str]:
    """The schemas (public alone while it is behind, else each school's) that miss a migration of
    this code base: `migrate_schemas`' own count, made in two queries for all the schools."""
    if not school_table_exists():
        return ["public"]
    behind = migrate_schemas_behind()
    if "public" in behind:
        return ["public"]
    return sorted(name for name in behind if name != settings.TENANT_BASE_SCHEMA)


class Command(BaseCommand):
    help = "Migrates every schema, one process at a time: the others wait, then skip."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--lock-timeout",
            type=int,
            default=0,
            help="Seconds to wait for another process's migrations before failing (0: for ever).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with owner_connection():
            self._handle(**options)

    def _handle(self, **options: Any) -> None:
        # A session of its own for the lock (see the module's docstring).
        holder = connection.get_new_connection(connection.get_connection_params())
        holder.autocommit = True
        try:
            with holder.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [MIGRATION_LOCK_ID])
                if not cursor.fetchone()[0]:
                    self.stdout.write("Waiting for another process's migrations to finish…")
                    self.stdout.flush()
                    timeout = options["lock_timeout"]
                    cursor.execute("SET lock_timeout = %s", [f"{timeout}s" if timeout else 0])
                    try:
                        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_ID])
                    except LockNotAvailable:
                        raise CommandError(
                            f"Another process has been migrating for more than {timeout} s: not"
                            " started. Check its log; this process waits again when restarted."
                        ) from None
            self._migrate(int(options["verbosity"]))
        finally:
            # Closing the session releases the lock.
            holder.close()

    def _migrate(self, verbosity: int) -> None:
        behind = schemas_behind()
        if not behind:
            self.stdout.write("No migrations to apply: every schema is up to date.")
            # Rebuilt only if a run stopped between the last school and the template.
            if template_schema_ensure():
                self.stdout.write("Rebuilt the school template schema.")
            return
        self.stdout.write(f"Migrating: {len(behind)} schema(s) behind, starting with {behind[0]}.")
        self.stdout.flush()
        call_command("migrate_schemas", interactive=False, verbosity=verbosity)
        self.stdout.write("Migrations applied.")
