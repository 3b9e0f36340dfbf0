"""`migrate_schemas` with one new migration: each school migrated once, current ones skipped.

The new migration exists only in these tests: `safeguarding`'s migrations are read from a copy in a
temporary folder (MIGRATION_MODULES) that holds one more. It records each run in
`public.migration_probe` (so a school migrated twice would show two rows) and creates a table,
which fails in a school that already has one.
The migrations run for real in forked worker processes, so these tests commit and undo by hand.
They run as the owner role, as migrations do (docs/security.md, "Database roles"): the fixture
and the tests' own queries create and drop tables, which the application role may not.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import override_settings

from tenants.db import owner_connection, school_connection
from tenants.models import School
from tenants.services import _expected_migrations
from tests.conftest import World

PROBE = "9000_migration_probe"


def _probe_source() -> str:
    (leaf,) = MigrationLoader(None).graph.leaf_nodes("safeguarding")
    # The source of a migration file, not SQL built from input.
    return f"""from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [{leaf!r}]
    operations = [
        migrations.RunSQL(
            "INSERT INTO public.migration_probe (schema_name) VALUES (current_schema());"
            "CREATE TABLE migration_probe_marker (id integer)"
        )
    ]
"""  # noqa: S608


def _schemas() -> list[str]:
    return [
        "public",
        settings.TENANT_BASE_SCHEMA,
        *School.objects.values_list("schema_name", flat=True),
    ]


def _sql(statement: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def probe_migration(world: World, django_db_blocker: Any, tmp_path: Path) -> Iterator[None]:
    """The new migration on disk, for this test; every trace of it removed afterwards. The test
    runs on the owner's connection."""
    with django_db_blocker.unblock(), owner_connection():
        school_connection.set_schema_to_public()
        package = tmp_path / "probe_migrations"
        shutil.copytree(Path(__file__).parents[2] / "safeguarding" / "migrations", package)
        (package / f"{PROBE}.py").write_text(_probe_source())
        sys.path.insert(0, str(tmp_path))
        moved = override_settings(
            MIGRATION_MODULES={**settings.MIGRATION_MODULES, "safeguarding": "probe_migrations"}
        )
        moved.enable()
        _expected_migrations.cache_clear()
        try:
            _sql("CREATE TABLE public.migration_probe (schema_name text NOT NULL)")
            yield
        finally:
            school_connection.set_schema_to_public()
            moved.disable()
            sys.path.remove(str(tmp_path))
            for name in [m for m in sys.modules if m.startswith("probe_migrations")]:
                del sys.modules[name]
            _expected_migrations.cache_clear()
            for schema in _schemas():
                _sql(f'DROP TABLE IF EXISTS "{schema}".migration_probe_marker')
                _sql(
                    f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s',  # noqa: S608
                    ["safeguarding", PROBE],
                )
            _sql("DROP TABLE IF EXISTS public.migration_probe")


def _probe_recorded(schema: str) -> int:
    """How many times `schema` recorded the new migration as applied."""
    return _sql(
        f'SELECT count(*) FROM "{schema}".django_migrations WHERE app = %s AND name = %s',  # noqa: S608
        ["safeguarding", PROBE],
    )[0][0]


def _probe_runs() -> dict[str, int]:
    return dict(_sql("SELECT schema_name, count(*) FROM public.migration_probe GROUP BY 1"))


def _school_schemas() -> list[str]:
    return [settings.TENANT_BASE_SCHEMA, *School.objects.values_list("schema_name", flat=True)]


def test_each_school_is_migrated_once_and_current_schools_are_skipped(
    world: World, probe_migration: None, django_db_blocker: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    with django_db_blocker.unblock():
        alder = world.school_a.schema_name
        # One school is brought up to date before the deploy's run.
        call_command("migrate_schemas", schema_name=alder, interactive=False, verbosity=0)
        assert _probe_runs() == {alder: 1}
        capfd.readouterr()

        schools = School.objects.count()
        out = StringIO()
        call_command("migrate_schemas", interactive=False, stdout=out)

        # Every other school and the template.
        assert f"skipped: 1; schemas to migrate: {schools}." in out.getvalue()
        printed = capfd.readouterr().out  # the workers' own output
        assert f"parallel:{world.school_b.schema_name}] === Starting migration" in printed
        assert f"parallel:{alder}]" not in printed
        assert _probe_runs() == dict.fromkeys(_school_schemas(), 1)
        assert {schema: _probe_recorded(schema) for schema in _schemas()} == dict.fromkeys(
            _schemas(), 1
        )

        again = StringIO()
        call_command("migrate_schemas", interactive=False, stdout=again)

        assert f"skipped: {schools}; schemas to migrate: 0." in again.getvalue()
        assert _probe_runs() == dict.fromkeys(_school_schemas(), 1)


def test_a_failing_school_is_named_the_others_are_migrated_and_the_run_fails(
    world: World, probe_migration: None, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock():
        broken = world.school_c.schema_name
        # Something already in that school's schema makes the migration fail there alone.
        _sql(f'CREATE TABLE "{broken}".migration_probe_marker (id integer)')
        err = StringIO()

        with pytest.raises(CommandError) as failure:
            call_command("migrate_schemas", interactive=False, verbosity=0, stderr=err)

        behind = School.objects.count() + 1  # and the template
        assert f"1 of {behind} schemas failed to migrate: {broken}." in str(failure.value)
        assert f"Migrating {broken} failed: ProgrammingError: relation" in err.getvalue()
        others = [schema for schema in _school_schemas() if schema != broken]
        assert _probe_runs() == dict.fromkeys(others, 1)
        assert _probe_recorded(broken) == 0
        # The template follows the schools: new schools are created at the latest migration.
        assert _probe_recorded(settings.TENANT_BASE_SCHEMA) == 1
