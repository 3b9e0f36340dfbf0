"""What the application's database role may do, and no more (docs/security.md, "Database roles").

Two roles share the database. The owner role (`DATABASE_OWNER_URL`) owns every schema, table and
trigger: it runs migrations, creates, restores and destroys schools. The application role
(`DATABASE_URL`) serves the web, the workers and beat, and is granted, in the public schema, in
the school template and in every school's schema:

- SELECT, INSERT, UPDATE and DELETE on the tables, never TRUNCATE, REFERENCES or TRIGGER; not
  owning them, it can neither ALTER nor DROP them, nor disable their triggers;
- on an append-only table (a trigger calling `public.refuse_audit_change()` on each row: the
  chronology, the audit and access logs, documents, versions), SELECT and INSERT only;
- on a table whose recorded content is fixed (a trigger calling `public.refuse_content_change`
  with the columns that may move on: a concern's case, a disclosure's steps, an allegation's
  LADO chase), SELECT, INSERT and UPDATE of those columns only.

Billing's issued invoices are guarded the same way by triggers of their own (docs/billing.md):
an invoice line is append-only (`public.billing_refuse_line_change`), an invoice fixed but for the
columns named to `public.billing_refuse_invoice_change` (its status and payment).

The tables are found by their triggers, so a table made append-only by a later migration is
covered by the next `migrate`, which applies these grants again. ALTER DEFAULT PRIVILEGES gives a
table created later by the owner the plain grants at once; the template's grants are copied into
each new school (`school_schema_grant`, called by school creation).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections
from django.db.backends.utils import CursorWrapper

from tenants.db import OWNER_ALIAS

# The privileges the application has on an ordinary table: no TRUNCATE, REFERENCES or TRIGGER.
TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
# Row triggers that make a table append-only, and those whose arguments name the columns that
# may still change.
APPEND_ONLY_FUNCTIONS = ("refuse_audit_change", "billing_refuse_line_change")
CONTENT_FUNCTIONS = ("refuse_content_change", "billing_refuse_invoice_change")


def app_role_name() -> str | None:
    """The application's role, or None when it is the owner itself (a one-role development set-up,
    where there is nothing to grant)."""
    app = str(settings.DATABASES["default"].get("USER") or "")
    owner = str(settings.DATABASES[OWNER_ALIAS].get("USER") or "")
    if not app or app == owner:
        return None
    return app


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def guarded_tables(cursor: CursorWrapper, schema: str) -> dict[str, list[str] | None]:
    """The tables of `schema` that the database guards, by their triggers: None for an
    append-only table, else the columns that may change (refuse_content_change's arguments)."""
    cursor.execute(
        """
        SELECT c.relname, p.proname, t.tgargs, t.tgnargs
        FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE c.relnamespace = %s::regnamespace AND NOT t.tgisinternal
          AND p.proname = ANY(%s)
          -- row-level triggers: the statement-level ones refuse TRUNCATE only
          AND (t.tgtype & 1) = 1
        ORDER BY c.relname
        """,
        [schema, [*APPEND_ONLY_FUNCTIONS, *CONTENT_FUNCTIONS]],
    )
    guarded: dict[str, list[str] | None] = {}
    for table, function, args, nargs in cursor.fetchall():
        if function in APPEND_ONLY_FUNCTIONS:
            guarded[table] = None
        elif guarded.get(table, []) is not None:
            # tgargs is the arguments, each ended by a NUL byte.
            raw = bytes(args).decode()
            columns = raw.split("\x00")[:nargs]
            guarded[table] = sorted({*(guarded.get(table) or []), *columns})
    return guarded


def schema_grant_statements(
    cursor: CursorWrapper, *, schema: str, app_role: str, owner_role: str
) -> list[str]:
    """Statements that give `app_role` exactly its privileges on the tables of `schema`."""
    s, app, owner = _quote(schema), _quote(app_role), _quote(owner_role)
    statements = [
        f"GRANT USAGE ON SCHEMA {s} TO {app}",
        # Only the owner creates objects (PostgreSQL before 15 let everyone create in public).
        f"REVOKE CREATE ON SCHEMA {s} FROM PUBLIC",
        f"REVOKE CREATE ON SCHEMA {s} FROM {app}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {app}",
        f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {s} TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {app}",
        # Tables the owner makes later (a migration) get the same at once; guarded ones are
        # narrowed by the grants that run after every migrate.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {s} "
        f"GRANT {TABLE_PRIVILEGES} ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {s} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]
    for table, columns in guarded_tables(cursor, schema).items():
        t = f"{s}.{_quote(table)}"
        statements.append(f"REVOKE UPDATE, DELETE ON {t} FROM {app}")
        if columns:
            statements.append(
                f"GRANT UPDATE ({', '.join(_quote(c) for c in columns)}) ON {t} TO {app}"
            )
    return statements


def school_schemas(cursor: CursorWrapper) -> list[str]:
    """The schemas the application uses: public, the school template and every school's."""
    cursor.execute("SELECT schema_name FROM tenants_school ORDER BY schema_name")
    schools = [name for (name,) in cursor.fetchall()]
    cursor.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname = %s", [settings.TENANT_BASE_SCHEMA]
    )
    template = [name for (name,) in cursor.fetchall()]
    return ["public", *template, *schools]


def app_role_grant(*, app_role: str | None = None, schemas: list[str] | None = None) -> list[str]:
    """Applies the application role's grants (on the owner's connection) to `schemas`, every
    schema by default; returns the schemas done. Safe to run any number of times."""
    app_role = app_role or app_role_name()
    if app_role is None:
        return []
    owner = connections[OWNER_ALIAS]
    with owner.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner_role = cursor.fetchone()[0]
        schemas = schemas if schemas is not None else school_schemas(cursor)
        for schema in schemas:
            for statement in schema_grant_statements(
                cursor, schema=schema, app_role=app_role, owner_role=owner_role
            ):
                cursor.execute(statement)
    return schemas


def school_schema_grant(cursor: CursorWrapper, *, schema: str) -> None:
    """Gives the application its privileges on a school's new schema, in the creating
    transaction, on `cursor` (the owner's connection)."""
    app_role = app_role_name()
    if app_role is None:
        return
    cursor.execute("SELECT current_user")
    owner_role = cursor.fetchone()[0]
    for statement in schema_grant_statements(
        cursor, schema=schema, app_role=app_role, owner_role=owner_role
    ):
        cursor.execute(statement)
