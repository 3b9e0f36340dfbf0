"""A school cloned from the template is, object for object, the template under another name."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from tenants.models import School
from tenants.schema_clone import TemplateNotClonable, clone_schema
from tests.conftest import World

# Schools are created and their schemas altered as the owner role does (docs/security.md,
# "Database roles"), inside the test's transaction.
pytestmark = pytest.mark.usefixtures("as_owner")


CATALOG_QUERIES = {
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               a.attidentity, pg_get_expr(d.adbin, d.adrelid)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r' AND a.attnum > 0
          AND NOT a.attisdropped""",
    "constraints": """
        SELECT c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid),
               con.condeferrable, con.condeferred
        FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
        WHERE c.relnamespace = %s::regnamespace""",
    "indexes": """
        SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = %s::regnamespace""",
    "triggers": """
        SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = %s::regnamespace AND NOT t.tgisinternal""",
}


def catalog(schema: str) -> dict[str, set[tuple[str, ...]]]:
    result = {}
    with connection.cursor() as cursor:
        for kind, query in CATALOG_QUERIES.items():
            cursor.execute(query, [schema])
            result[kind] = {
                tuple(str(v).replace(f"{schema}.", "<schema>.") for v in row)
                for row in cursor.fetchall()
            }
    return result


def test_a_school_has_every_table_column_constraint_and_index_of_the_template(
    school_a: School,
) -> None:
    template = catalog(settings.TENANT_BASE_SCHEMA)
    school = catalog(school_a.schema_name)

    assert template["columns"], "the template has tables"
    assert any(row[2] == "f" for row in template["constraints"]), "and foreign keys"
    assert school == template


def test_identity_columns_continue_after_the_copied_rows(world: World, db: None) -> None:
    clone_schema(source=settings.TENANT_BASE_SCHEMA, target="clone_check")
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM clone_check.safeguarding_category")
        highest = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO clone_check.safeguarding_category "
            "(code, name, colour, guidance, sensitivity, position) "
            "VALUES ('', 'New', '#000000', '', 'standard', 99) RETURNING id"
        )
        assert cursor.fetchone()[0] == highest + 1


def test_triggers_are_copied_onto_the_new_schema(world: World, db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION public.clone_test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER refuse_delete BEFORE DELETE ON "
            f"{settings.TENANT_BASE_SCHEMA}.safeguarding_category "
            "FOR EACH ROW EXECUTE FUNCTION public.clone_test_refuse()"
        )
    clone_schema(source=settings.TENANT_BASE_SCHEMA, target="clone_check")

    assert catalog("clone_check")["triggers"] == catalog(settings.TENANT_BASE_SCHEMA)["triggers"]
    with pytest.raises(Exception, match="refused"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM clone_check.safeguarding_category")


def test_a_template_holding_a_view_is_refused_rather_than_half_copied(
    world: World, db: None
) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE VIEW {settings.TENANT_BASE_SCHEMA}.category_names AS "  # noqa: S608
            f"SELECT name FROM {settings.TENANT_BASE_SCHEMA}.safeguarding_category"
        )
    with pytest.raises(TemplateNotClonable, match="Relation kinds"):
        clone_schema(source=settings.TENANT_BASE_SCHEMA, target="clone_check")
