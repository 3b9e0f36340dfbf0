"""The database connections seen as django-tenants makes them: one search_path per school, and
the owner role's connection beside the application's (docs/security.md, "Database roles")."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Protocol, cast

from django.db import DEFAULT_DB_ALIAS, connection, connections

# The alias of the owner role's connection (DATABASE_OWNER_URL; DATABASE_URL when unset).
OWNER_ALIAS = "owner"


class SchemaConnection(Protocol):
    schema_name: str

    def set_schema_to_public(self) -> None: ...

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None: ...


# The same thread-local proxy as django.db.connection, typed with the methods django-tenants adds.
school_connection = cast(SchemaConnection, connection)


@contextlib.contextmanager
def owner_connection() -> Iterator[None]:
    """Runs the block through the owner role's connection: in this thread, every query, ORM call
    and `transaction.atomic()` of the block that would use the default (application) connection
    uses the owner's instead. For migrations and for creating, restoring and destroying a school:
    the application role cannot create, alter or drop tables (tenants/db_roles.py)."""
    previous = connections[DEFAULT_DB_ALIAS]
    owner = connections[OWNER_ALIAS]
    if previous is owner:
        yield
        return
    connections[DEFAULT_DB_ALIAS] = owner
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS] = previous
