"""`migrate_schemas` at 200 schools: ours beside stock django-tenants, in the same run.

Prints the seconds each takes with nothing to apply, and with one new migration (stock with its
standard executor and with its multiprocessing executor; ours skips the current schemas and
migrates the rest in parallel). Each new migration exists only in this run: `safeguarding`'s
migrations are read from a copy in a temporary folder that gains one migration per measurement,
and each records its runs in `public.migration_probe`; at the end every school must show each new
migration run once and recorded once.

Schools are made as `school_create` makes them (rows, then a clone of the template schema), 25 to
a transaction, without the audit rows. Runs against its own throwaway database (`bench_migrate`)
on the server named by DATABASE_URL (or the embedded development server), dropped at the end:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/migrate.py
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _benchdb import PROJECT_ROOT, bench_database  # also puts the project on the path
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

BENCH_DATABASE = "bench_migrate"
PACKAGE = "bench_probe_migrations"
BATCH = 25


def _schools_create(count: int) -> None:
    from tenants.addresses import host_for_slug  # noqa: PLC0415  (needs Django set up)
    from tenants.models import Domain, School  # noqa: PLC0415
    from tenants.schema_clone import clone_schema  # noqa: PLC0415
    from tenants.services import (  # noqa: PLC0415
        school_schema_name,
        template_schema_ensure,
        trust_create,
    )

    template_schema_ensure()
    trust = trust_create(name="Bench Trust", slug="bench-trust")
    for start in range(0, count, BATCH):
        with transaction.atomic():
            for n in range(start, min(start + BATCH, count)):
                slug = f"bench-{n:04d}"
                school = School.objects.create(
                    trust=trust,
                    name=f"Bench school {n}",
                    slug=slug,
                    urn=f"{100000 + n:06d}",
                    phase="primary",
                    schema_name=school_schema_name(slug),
                )
                Domain.objects.create(tenant=school, domain=host_for_slug(slug), is_primary=True)
                clone_schema(source=settings.TENANT_BASE_SCHEMA, target=school.schema_name)
    connection.set_schema_to_public()


class Probes:
    """`safeguarding`'s migrations read from a copy that gains one new migration at a time."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="bench-migrate-"))
        self.package = self.folder / PACKAGE
        shutil.copytree(PROJECT_ROOT / "safeguarding" / "migrations", self.package)
        sys.path.insert(0, str(self.folder))
        settings.MIGRATION_MODULES = {"safeguarding": PACKAGE}
        self.names: list[str] = []
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE public.migration_probe (probe text, schema_name text)")

    def add(self) -> str:
        from tenants.services import _expected_migrations  # noqa: PLC0415

        (leaf,) = MigrationLoader(None).graph.leaf_nodes("safeguarding")
        name = f"{9000 + len(self.names)}_bench_probe"
        # The source of a migration file, not SQL built from input.
        (self.package / f"{name}.py").write_text(
            "from django.db import migrations\n\n\n"  # noqa: S608
            "class Migration(migrations.Migration):\n"
            f"    dependencies = [{leaf!r}]\n"
            "    operations = [migrations.RunSQL(\n"
            '        "INSERT INTO public.migration_probe VALUES '
            f"('{name}', current_schema())\"\n"
            "    )]\n"
        )
        importlib.invalidate_caches()
        # The set a process expects is read once (the code does not change under a running
        # server); here it does.
        _expected_migrations.cache_clear()
        self.names.append(name)
        return name

    def problems(self, schemas: list[str]) -> list[str]:
        """Each school and the template ran each probe once and recorded it once."""
        found = []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT probe, schema_name, count(*) FROM public.migration_probe GROUP BY 1, 2"
            )
            runs = {(probe, schema): n for probe, schema, n in cursor.fetchall()}
            for schema in schemas:
                cursor.execute(
                    f'SELECT name, count(*) FROM "{schema}".django_migrations '  # noqa: S608
                    "WHERE app = 'safeguarding' GROUP BY 1"
                )
                recorded = dict(cursor.fetchall())
                for probe in self.names:
                    if runs.get((probe, schema), 0) != 1 or recorded.get(probe, 0) != 1:
                        found.append(
                            f"{schema} {probe}: run {runs.get((probe, schema), 0)} times, "
                            f"recorded {recorded.get(probe, 0)} times"
                        )
        return found

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _stock(executor: str) -> Callable[[], object]:
    from django_tenants.management.commands.migrate_schemas import (  # noqa: PLC0415
        MigrateSchemasCommand,
    )

    return lambda: call_command(
        MigrateSchemasCommand(), interactive=False, verbosity=0, executor=executor
    )


def _ours() -> object:
    return call_command("migrate_schemas", interactive=False, verbosity=0)


def _ours_as_a_process() -> object:
    # What a deploy runs: the whole process, Django's start included.
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "manage.py", "migrate_schemas", "--noinput", "-v", "0"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
    )


def _bare_django_process() -> object:
    # The floor under the figure above: starting Django and running a command that does nothing.
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
        check=True,
        capture_output=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=200)
    args = parser.parse_args()
    started = time.perf_counter()
    with bench_database(BENCH_DATABASE):
        from tenants.models import School  # noqa: PLC0415  (needs Django set up)

        made = _timed(lambda: _schools_create(args.schools))
        print(f"{args.schools} schools made from the template in {made:.1f} s.")
        rows: list[tuple[str, float]] = []

        stock_idle = _timed(_stock("standard"))
        ours_idle = statistics.median(_timed(_ours) for _ in range(3))
        ours_process = _timed(_ours_as_a_process)
        bare_process = _timed(_bare_django_process)
        rows += [
            ("nothing to apply: stock (standard executor)", stock_idle),
            ("nothing to apply: ours (median of 3, in process)", ours_idle),
            ("nothing to apply: ours, `manage.py migrate_schemas` process", ours_process),
            ("(beside it: a bare `manage.py check` process, Django's start)", bare_process),
        ]

        probes = Probes()
        try:
            probes.add()
            rows.append(
                ("one new migration: stock (standard executor)", _timed(_stock("standard")))
            )
            probes.add()
            rows.append(
                (
                    "one new migration: stock (multiprocessing executor)",
                    _timed(_stock("multiprocessing")),
                )
            )
            probes.add()
            rows.append(("one new migration: ours", _timed(_ours)))
            # Stock leaves the template behind; ours brought it to the latest migration too.
            schemas = [
                settings.TENANT_BASE_SCHEMA,
                *School.objects.values_list("schema_name", flat=True),
            ]
            problems = probes.problems(schemas)
        finally:
            probes.remove()

    width = max(len(label) for label, _ in rows)
    for label, seconds in rows:
        print(f"{label.ljust(width)}  {seconds:6.2f} s")
    print(
        f"Schools: {args.schools}; worker processes: min(4, CPUs) = {min(4, os.cpu_count() or 1)}."
    )
    if problems:
        print("NOT every school migrated exactly once:")
        print("\n".join(problems[:20]))
        return 1
    print(f"Every school ran and recorded each of the {len(probes.names)} new migrations once.")
    print(f"Total run time: {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
