"""The database connection seen as django-tenants makes it: one search_path per school."""

from __future__ import annotations

from typing import Any, Protocol, cast

from django.db import connection


class SchemaConnection(Protocol):
    schema_name: str

    def set_schema_to_public(self) -> None: ...

    def set_tenant(self, tenant: Any, include_public: bool = True) -> None: ...


# The same thread-local proxy as django.db.connection, typed with the methods django-tenants adds.
school_connection = cast(SchemaConnection, connection)
