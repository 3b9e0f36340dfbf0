"""Reads that may go to a streaming standby: trust statistics and the rendering of exports.

With DATABASE_REPLICA_URL set (the `replica` database), the reads inside `replica_reads()` go to
the standby; everything else, every write, and every read inside a transaction stays on the
primary (docs/scaling.md, "A read replica"). django-tenants sets the search_path of the default
connection only, so each read sent to the replica first puts the replica's connection in the
school (and search_path) the primary's connection is in at that moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

REPLICA = "replica"

_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads(*, caught_up: Callable[[], bool] | None = None) -> Iterator[bool]:
    """Sends the reads inside to the replica, when there is one; yields whether they go there.

    `caught_up`, asked on the replica, says whether it has replayed what these reads need (the
    row that asked for them): when it has not, the block reads from the primary instead.
    Also a decorator: `@replica_reads()`.
    """
    token = _reading_from_replica.set(replica_configured())
    try:
        if caught_up is not None and _reading_from_replica.get() and not caught_up():
            _reading_from_replica.set(False)
        yield _reading_from_replica.get()
    finally:
        _reading_from_replica.reset(token)


class ReplicaRouter:
    """Reads inside `replica_reads()` to the replica; the rest is left to the next router."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if not _reading_from_replica.get() or not replica_configured():
            return None
        primary: Any = connections[DEFAULT_DB_ALIAS]
        if primary.in_atomic_block:
            # A transaction reads what it is writing: the replica has not seen it yet.
            return None
        replica: Any = connections[REPLICA]
        if (replica.schema_name, replica.include_public_schema) != (
            primary.schema_name,
            primary.include_public_schema,
        ):
            replica.set_tenant(primary.tenant, primary.include_public_schema)
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        # An object read from the replica is saved on the primary (the standby refuses writes).
        instance = hints.get("instance")
        if instance is not None and instance._state.db == REPLICA:
            return DEFAULT_DB_ALIAS
        return None

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The standby replays the primary's migrations; nothing is ever migrated on it.
        return False if db == REPLICA else None
