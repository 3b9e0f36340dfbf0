"""`manage.py migrate_with_lock`, which each web replica runs when it starts (deploy/entrypoint.sh).

Two replicas starting together on an empty database are in tests/deploy/test_image.py.
The entrypoint runs the command as the owner role (DATABASE_OWNER_URL): so do these tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tenants.management.commands.migrate_with_lock import MIGRATION_LOCK_ID, schemas_behind
from tenants.models import School
from tests.conftest import World


@pytest.fixture
def lock_held_elsewhere(db: None) -> Iterator[None]:
    """Another replica, migrating: it holds the lock on a session of its own."""
    other = psycopg2.connect(**connection.get_connection_params())
    other.autocommit = True
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_ID])
    yield
    other.close()


def test_with_every_schema_current_there_is_nothing_to_do(world: World, as_owner: None) -> None:
    out = StringIO()
    call_command("migrate_with_lock", stdout=out)
    assert "No migrations to apply" in out.getvalue()
    assert schemas_behind() == []


def test_a_school_missing_a_migration_is_found_behind(world: World, as_owner: None) -> None:
    schema = world.school_b.schema_name
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{schema}".django_migrations WHERE id = '  # noqa: S608
            f'(SELECT max(id) FROM "{schema}".django_migrations)'
        )
    assert schemas_behind() == [schema]
    assert School.objects.filter(schema_name=schema).exists()


def test_a_replica_waits_for_the_lock_no_longer_than_its_timeout(
    world: World, lock_held_elsewhere: None, as_owner: None
) -> None:
    out = StringIO()
    with pytest.raises(CommandError, match="more than 1 s"):
        call_command("migrate_with_lock", lock_timeout=1, stdout=out)
    assert "Waiting for another process's migrations to finish" in out.getvalue()
