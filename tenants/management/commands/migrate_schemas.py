"""`migrate_schemas` (and `migrate`): skips the schools already current, migrates the rest in
parallel, and keeps the school template schema current (docs/scaling.md, "Migrations").

Stock django-tenants runs Django's whole `migrate` command in every schema, even with nothing to
apply: loading the migration graph, rendering every model's state and sending `post_migrate`,
about a seventh of a second per school, half a minute at 200 schools. Here two queries, whatever
the number of schools (the schemas, then one count over all of them), compare every schema's
`django_migrations` with the migrations the code defines; only the schemas missing one are
migrated, by a pool of worker processes, each schema once.

A school that fails does not stop the others: schools are independent, and leaving 199 schools on
the old schema because one school's data trips a migration would take all of them down with the
new code. The run goes on, names every school that failed on stderr, and ends with an error (a
non-zero exit status), so the deploy stops there.

Anything but a plain run (one schema, a target migration, --fake, --plan, --check, --prune,
--run-syncdb or an explicit --executor) is django-tenants' own command, unchanged.

It runs as the owner role (DATABASE_OWNER_URL), which owns what migrations make, and then gives the
application role its grants again on every schema (tenants/db_roles.py), so that a table a
migration made, or made append-only, is covered at once.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.loader import MigrationLoader
from django_tenants.management.commands import SyncCommon
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors.base import run_migrations
from django_tenants.utils import get_public_schema_name

from tenants.db import owner_connection
from tenants.db_roles import app_role_grant
from tenants.models import School
from tenants.services import template_schema_ensure

# Options under which the stock command runs: they ask for something other than "bring every
# schema to the latest migration", which is all the catalog query can tell.
_STOCK_OPTIONS = (
    *("schema_name", "app_label", "migration_name", "fake", "fake_initial", "plan"),
    *("check_unapplied", "prune", "run_syncdb", "executor"),
)

# Every schema the command looks after, and whether it has a `django_migrations` table yet.
_SCHEMAS_SQL = """
SELECT s.name, to_regclass(quote_ident(s.name) || '.django_migrations') IS NOT NULL
FROM (SELECT %(public)s::text AS name
      UNION SELECT %(template)s
      UNION SELECT schema_name FROM {school_table}) AS s
ORDER BY s.name
"""

# How many of the code's migrations one schema has recorded; one branch of a UNION ALL over every
# schema, so the whole count is one query whatever the number of schools (plain SQL: no
# `query_to_xml`, which a server built without libxml refuses).
_RECORDED_SQL = (
    "SELECT %s, count(DISTINCT (app, name)) FROM {table} "
    "WHERE app || '.' || name = ANY (%s::text[])"
)


def schemas_behind() -> dict[str, int | None]:
    """Every schema (public, the schools, the template) missing a migration the code defines,
    with how many it has recorded (None: no `django_migrations` table, or no schema at all).

    Every schema records every app's migrations, the shared apps' too (the router skips their
    operations in a school), so each must hold the whole set.
    """
    loader = MigrationLoader(None, ignore_no_migrations=True)
    expected = sorted(f"{app}.{name}" for app, name in loader.graph.nodes)
    with connection.cursor() as cursor:
        cursor.execute(
            _SCHEMAS_SQL.format(school_table=School._meta.db_table),
            {"public": get_public_schema_name(), "template": settings.TENANT_BASE_SCHEMA},
        )
        schemas = cursor.fetchall()
        behind: dict[str, int | None] = {name: None for name, has_table in schemas if not has_table}
        migrated = [name for name, has_table in schemas if has_table]
        if migrated:
            quote = connection.ops.quote_name
            branches = [
                _RECORDED_SQL.format(table=f"{quote(name)}.django_migrations") for name in migrated
            ]
            params: list[str | list[str]] = []
            for name in migrated:
                params += [name, expected]
            cursor.execute(" UNION ALL ".join(branches), params)
            behind |= {
                name: recorded for name, recorded in cursor.fetchall() if recorded < len(expected)
            }
        return behind


def school_table_exists() -> bool:
    """Whether the public schema has its table of schools yet (not on a new database)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"public.{School._meta.db_table}"])
        return cursor.fetchone()[0] is not None


def _first_line(error: BaseException) -> str:
    # PostgreSQL's DETAIL line can quote a row (a child's name); its first line names only the
    # constraint or object.
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def _migrate_one(args: tuple[Any, ...], options: dict[str, Any], schema: str) -> tuple[str, str]:
    """Runs in a worker: migrates one schema. Returns the schema and its error ("" for none)."""
    try:
        run_migrations(args, options, "parallel", schema, allow_atomic=False)
    except Exception as error:
        return schema, _first_line(error)
    finally:
        connections.close_all()
    return schema, ""


class Command(MigrateSchemasCommand):
    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--skip-template",
            action="store_true",
            dest="skip_template",
            help="Do not bring the school template schema to the latest migration.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The owner's connection stands in for the default alias, the only one django-tenants'
        # router migrates (the test runner asks for the owner's alias by name). Forked workers
        # inherit it.
        options["database"] = DEFAULT_DB_ALIAS
        try:
            with owner_connection():
                self._migrate(*args, **options)
        finally:
            # Even when a school failed: every other schema was migrated and needs its grants.
            app_role_grant(schemas=[options["schema_name"]] if options.get("schema_name") else None)

    def _migrate(self, *args: Any, **options: Any) -> None:
        if any(options.get(name) for name in _STOCK_OPTIONS):
            super().handle(*args, **options)
            if not options.get("skip_template") and not options.get("schema_name"):
                self._template_follows(options)
            return
        SyncCommon.handle(self, *args, **options)
        verbose = int(options.get("verbosity", 1)) >= 1
        public = get_public_schema_name()
        # Workers are handed what the migrate command reads, not this command's output streams.
        worker_options = {k: v for k, v in options.items() if k not in {"stdout", "stderr"}}
        if school_table_exists():
            behind = schemas_behind()
            if self.sync_public and public in behind:
                run_migrations(args, worker_options, "standard", public)
        else:
            # A new database: the public schema first, which makes the table of schools.
            run_migrations(args, worker_options, "standard", public)
            behind = schemas_behind()
        if not self.sync_tenant:
            return
        template = settings.TENANT_BASE_SCHEMA
        schools = [name for name in behind if name != public]
        if options.get("skip_template") or behind.get(template) is None:
            # A template never built (or half built) is built afresh by `_template_follows`.
            schools = [name for name in schools if name != template]
        current = School.objects.exclude(schema_name=public).count() - len(
            [name for name in schools if name != template]
        )
        if verbose:
            self.stdout.write(
                f"Schools at the latest migration, skipped: {current}; "
                f"schemas to migrate: {len(schools)}."
            )
        failed = self._migrate_in_parallel(args, worker_options, schools)
        for schema, error in sorted(failed.items()):
            self.stderr.write(f"Migrating {schema} failed: {error}")
        if template not in failed and not options.get("skip_template"):
            self._template_follows(options)
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(schools)} schemas failed to migrate: "
                + ", ".join(sorted(failed))
                + ". Every other schema was migrated."
            )

    def _migrate_in_parallel(
        self, args: tuple[Any, ...], options: dict[str, Any], schemas: list[str]
    ) -> dict[str, str]:
        """Each schema migrated once, by a pool of forked workers; returns the failures."""
        if not schemas:
            return {}
        migrate = functools.partial(_migrate_one, args, options)
        if len(schemas) == 1:
            return {schema: error for schema, error in [migrate(schemas[0])] if error}
        processes = options.get("parallel") or min(4, os.cpu_count() or 1)
        # A forked worker must not share the parent's socket to the server.
        connections.close_all()
        # fork: the workers inherit the loaded app registry and settings, as django-tenants'
        # multiprocessing executor relies on too.
        with multiprocessing.get_context("fork").Pool(processes=processes) as pool:
            results = list(pool.imap_unordered(migrate, schemas))
        return {schema: error for schema, error in results if error}

    def _template_follows(self, options: dict[str, Any]) -> None:
        # Rebuilt only when it is still not current (missing, or a stock run left it behind).
        if template_schema_ensure() and int(options.get("verbosity", 1)) >= 1:
            self.stdout.write("Rebuilt the school template schema.")
