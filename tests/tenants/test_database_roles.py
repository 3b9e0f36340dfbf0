"""The application's database role cannot rewrite history (docs/security.md, "Database roles").

Every test here runs as the application role, the default connection of the test suite: it may
read and add rows, but never alter or truncate a table, switch a trigger off, or change or remove
a row of an append-only table, in the public schema, in every school's, and in a school created
after the grants were given.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django_tenants.utils import schema_context

from safeguarding.models import AccessAction, AccessLogEntry, PupilHistory, PupilSyncRun
from safeguarding.services.access import Person, access_log_record
from safeguarding.services.pupil_import import pupil_sync
from safeguarding.services.pupils import pupil_update
from tenants.db import OWNER_ALIAS, owner_connection
from tenants.db_roles import app_role_name, guarded_tables
from tenants.models import Domain, School
from tenants.services import school_create
from tests.conftest import World
from tests.safeguarding.fixtures import enrol, make_upn
from trustplatform.hashchain import chain_verify

# Written down, not read from the database: a table made append-only later must be added here.
APPEND_ONLY_PUBLIC = ["audit_auditevent", "billing_invoiceline"]
APPEND_ONLY_SCHOOL = [
    "safeguarding_accesslogentry",
    "safeguarding_allegationversion",
    "safeguarding_chronologyentry",
    "safeguarding_concern_categories",
    "safeguarding_concern_pupils",
    "safeguarding_disclosure_documents",
    "safeguarding_document",
    "safeguarding_pupilhistory",
    "safeguarding_pupilsyncrun",
]
# Tables whose recorded content is fixed: the columns the services move on, and one that is not.
CASE_COLUMNS = {
    "safeguarding_concern": (
        [
            "closed_at",
            "closure_summary",
            "escalated_at",
            "level",
            "level_rationale",
            "next_steps",
            "screened_at",
            "screened_by_id",
            "screened_by_name",
            "status",
        ],
        "account",
    ),
    "safeguarding_allegation": (["lado_escalated_at"], "adult_name"),
    "safeguarding_disclosure": (
        [
            "child_informed",
            "child_informed_at",
            "child_informed_by",
            "child_not_informed_reason",
            "child_recorded_by_id",
            "child_recorded_by_name",
            "child_recorded_by_role",
            "decided_at",
            "decided_by_id",
            "decided_by_name",
            "decided_by_role",
            "decision",
            "decision_notes",
            "lawful_basis",
            "lawful_basis_other",
            "shared_at",
            "shared_by_id",
            "shared_by_name",
            "shared_by_role",
            "shared_summary",
            "shared_via",
        ],
        "request_summary",
    ),
}
PUBLIC_CASE_COLUMNS = {
    "billing_invoice": (["paid_on", "payment_reference", "status"], "net_total"),
}
# What the application role is refused on an append-only table, and PostgreSQL's words for it.
REFUSALS = {
    "update": ("UPDATE {table} SET id = id", "permission denied for table"),
    "delete": ("DELETE FROM {table}", "permission denied for table"),
    "truncate": ("TRUNCATE {table}", "permission denied for table"),
    "disable trigger": ("ALTER TABLE {table} DISABLE TRIGGER ALL", "must be owner of table"),
}


def _refused(statement: str, params: Sequence[int] = ()) -> str:
    """The database's refusal of `statement` on the application's connection ('' if it ran)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    except DatabaseError as error:
        return str(error)
    return ""


def _refusals_on(schema: str, tables: list[str]) -> dict[tuple[str, str], str]:
    """For each table and each refusal, what the database said; expected: every one refused."""
    found = {}
    for table in tables:
        for name, (statement, _) in REFUSALS.items():
            found[(table, name)] = _refused(statement.format(table=f'"{schema}"."{table}"'))
    return found


def _assert_all_refused(schema: str, tables: list[str]) -> None:
    said = _refusals_on(schema, tables)
    wrong = {
        key: message
        for key, message in said.items()
        if REFUSALS[key[1]][1] not in message  # a refusal of another kind, or none at all
    }
    assert not wrong, wrong


def _tables_of(schema: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace "
            "AND relkind = 'r' ORDER BY relname",
            [schema],
        )
        return [name for (name,) in cursor.fetchall()]


def test_the_application_connects_as_a_role_that_is_neither_owner_nor_superuser(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles "
            "WHERE rolname = current_user"
        )
        role, superuser, createdb, createrole = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = %s::regrole "
            "AND relnamespace NOT IN "
            "('pg_catalog'::regnamespace, 'information_schema'::regnamespace)",
            [role],
        )
        owns = cursor.fetchone()[0]
    assert (superuser, createdb, createrole, owns) == (False, False, False, 0)
    assert role != connections[OWNER_ALIAS].settings_dict["USER"]


def test_the_append_only_tables_are_the_ones_written_down(world: World, db: None) -> None:
    with connection.cursor() as cursor:
        public = guarded_tables(cursor, "public")
        school = guarded_tables(cursor, world.school_a.schema_name)
    assert sorted(t for t, columns in public.items() if columns is None) == APPEND_ONLY_PUBLIC
    assert sorted(t for t, columns in school.items() if columns is None) == APPEND_ONLY_SCHOOL
    assert {t: columns for t, columns in school.items() if columns is not None} == {
        t: columns for t, (columns, _) in CASE_COLUMNS.items()
    }
    assert {t: columns for t, columns in public.items() if columns is not None} == {
        t: columns for t, (columns, _) in PUBLIC_CASE_COLUMNS.items()
    }


def test_the_application_cannot_change_remove_truncate_or_unguard_append_only_rows(
    world: World, db: None
) -> None:
    _assert_all_refused("public", APPEND_ONLY_PUBLIC)
    for school in (world.school_a, world.school_b, world.school_c):
        _assert_all_refused(school.schema_name, APPEND_ONLY_SCHOOL)


def test_the_application_cannot_change_or_remove_a_pupils_history_or_a_sync_run(
    world: World, db: None
) -> None:
    with schema_context(world.school_a.schema_name):
        pupil = enrol(serial=82190, first="Invented", last="Pupil", mis_id="MIS-82190")
        pupil_update(pupil=pupil, actor_id=7, upn=make_upn(82191), sen=True)
        run = PupilSyncRun.objects.get(
            pk=pupil_sync(
                [{"upn": make_upn(82191), "year_group": 8}], actor_id=7, actor_name="Office"
            ).run_id
        )
        history = list(PupilHistory.objects.filter(pupil=pupil).order_by("pk").values())
        assert {(row["field"], row["new"]) for row in history} == {
            ("upn", make_upn(82191)),
            ("sen", "yes"),
            ("year_group", "8"),
        }
        # As SQL: the ORM would refuse to delete a run its history points at before asking.
        attempts = {
            "rewrite a change": (
                "UPDATE safeguarding_pupilhistory SET new = 'no' WHERE pupil_id = %s",
                [pupil.pk],
            ),
            "remove a change": (
                "DELETE FROM safeguarding_pupilhistory WHERE pupil_id = %s",
                [pupil.pk],
            ),
            "rewrite a run's counts": (
                "UPDATE safeguarding_pupilsyncrun SET updated = 0 WHERE id = %s",
                [run.pk],
            ),
            "remove a run": ("DELETE FROM safeguarding_pupilsyncrun WHERE id = %s", [run.pk]),
        }
        said = {name: _refused(statement, params) for name, (statement, params) in attempts.items()}
        # What the database let through, if anything.
        assert [name for name, refusal in said.items() if "permission denied" not in refusal] == []
        assert list(PupilHistory.objects.filter(pupil=pupil).order_by("pk").values()) == history
        assert PupilSyncRun.objects.get(pk=run.pk).updated == 1


def test_the_application_cannot_alter_or_truncate_any_table(world: World, db: None) -> None:
    for schema in ("public", world.school_a.schema_name, "school_template"):
        for table in _tables_of(schema):
            qualified = f'"{schema}"."{table}"'
            assert "permission denied" in _refused(f"TRUNCATE {qualified}"), qualified
            assert "must be owner" in _refused(
                f"ALTER TABLE {qualified} ADD COLUMN smuggled text"
            ), qualified
            assert "must be owner" in _refused(f"ALTER TABLE {qualified} DISABLE TRIGGER USER")
        assert "permission denied" in _refused(f'CREATE TABLE "{schema}".smuggled (id int)')


def test_the_application_updates_only_the_case_columns_of_fixed_records(
    world: World, db: None
) -> None:
    for schema, fixed in (
        (world.school_a.schema_name, CASE_COLUMNS),
        ("public", PUBLIC_CASE_COLUMNS),
    ):
        _assert_only_columns_move(schema, fixed)


def _assert_only_columns_move(schema: str, fixed: dict[str, tuple[list[str], str]]) -> None:
    for table, (columns, content) in fixed.items():
        qualified = f'"{schema}"."{table}"'
        for column in columns:
            update = f"UPDATE {qualified} SET {column} = {column} WHERE false"  # noqa: S608
            assert _refused(update) == ""
        update = f"UPDATE {qualified} SET {content} = {content} WHERE false"  # noqa: S608
        assert "permission denied" in _refused(update)
        assert "permission denied" in _refused(f"DELETE FROM {qualified} WHERE false")  # noqa: S608


def test_the_application_cannot_create_a_schema_or_become_the_owner(db: None) -> None:
    assert "permission denied" in _refused("CREATE SCHEMA smuggled")
    owner = connections[OWNER_ALIAS].settings_dict["USER"]
    assert "permission denied" in _refused(f'SET ROLE "{owner}"')


@pytest.fixture(scope="module")
def later_school(world: World, django_db_blocker: pytest.FixtureRequest) -> Iterator[School]:
    """A school created (and committed) after the grants were given, removed afterwards by the
    owner (its audit event stays, as every audit event does)."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        school = school_create(
            trust=world.trust,
            name="Larch Hill Primary",
            slug="larchhill",
            urn="977001",
            phase="primary",
        )
    yield school
    with django_db_blocker.unblock(), owner_connection(), transaction.atomic():  # type: ignore[attr-defined]
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{school.schema_name}" CASCADE')
        Domain.objects.filter(tenant=school).delete()
        School.objects.filter(pk=school.pk).delete()


def test_a_school_created_later_refuses_the_application_the_same(
    later_school: School, db: None
) -> None:
    _assert_all_refused(later_school.schema_name, APPEND_ONLY_SCHOOL)
    for table in _tables_of(later_school.schema_name):
        assert "permission denied" in _refused(f'TRUNCATE "{later_school.schema_name}"."{table}"')


def test_the_application_still_records_and_reads_in_a_school_created_later(
    later_school: School, db: None
) -> None:
    with schema_context(later_school.schema_name):
        entry = access_log_record(
            person=Person(user_id=5, name="Dana Lead", role="dsl"),
            action=AccessAction.VIEWED_RECORD,
            object_type="pupil",
            object_id=1,
            pupil_id=1,
        )
        assert list(AccessLogEntry.objects.all()) == [entry]
        assert chain_verify(AccessLogEntry) is None


def _may(role: str, table: str, privilege: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
        return bool(cursor.fetchone()[0])


def test_a_table_a_later_migration_makes_gets_the_plain_grants_at_once(
    as_owner: None, world: World
) -> None:
    assert connections["default"] is connections[OWNER_ALIAS]  # the test runs as the owner
    app = app_role_name()
    assert app is not None
    table = f'"{world.school_a.schema_name}".later_table'
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {table} (id int)")
    assert _may(app, table, "INSERT")
    assert _may(app, table, "DELETE")
    assert not _may(app, table, "TRUNCATE")
    assert not _may(app, table, "TRIGGER")


def test_grant_app_role_puts_back_a_grant_changed_by_hand(as_owner: None, world: World) -> None:
    app = app_role_name()
    assert app is not None
    table = f'"{world.school_a.schema_name}".safeguarding_chronologyentry'
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT UPDATE, DELETE, TRUNCATE ON {table} TO "{app}"')
    assert _may(app, table, "UPDATE")

    out = StringIO()
    call_command("grant_app_role", stdout=out)

    assert out.getvalue().startswith(f"Granted {app} its privileges on ")
    assert not _may(app, table, "UPDATE")
    assert not _may(app, table, "DELETE")
    assert not _may(app, table, "TRUNCATE")
    assert _may(app, table, "INSERT")
