"""Each school's access log: its own hash chain, append-only in the database, in every school."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import RequestFactory
from django_tenants.utils import schema_context

from safeguarding.models import AccessAction, AccessLogEntry
from safeguarding.selectors.access import access_log_list
from safeguarding.services.access import access_log_record
from safeguarding.services.chronology import Person
from tenants.models import School
from tenants.services import school_create
from tests.conftest import World
from trustplatform.hashchain import GENESIS_HASH, chain_verify

TRIGGER = "safeguarding_accesslogentry_append_only"


def _view(
    *,
    user_id: int = 11,
    pupil_id: int | None = 501,
    action: AccessAction = AccessAction.VIEWED_RECORD,
) -> AccessLogEntry:
    return access_log_record(
        person=Person(user_id=user_id, name="Dana Lead", role="dsl"),
        action=action,
        object_type="pupil",
        object_id=pupil_id,
        pupil_id=pupil_id,
    )


def _three_views(school: School) -> list[AccessLogEntry]:
    with schema_context(school.schema_name):
        return [_view(pupil_id=pupil) for pupil in (501, 502, 503)]


def _tamper(school: School, sql: str, params: list[int | str]) -> None:
    table = f"{school.schema_name}.safeguarding_accesslogentry"
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {TRIGGER}")
        cursor.execute(sql.format(table=table), params)
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {TRIGGER}")


def _verify() -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def _triggers_of(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = %s::regnamespace AND c.relname = 'safeguarding_accesslogentry' "
            "AND NOT t.tgisinternal",
            [schema],
        )
        return {name for (name,) in cursor.fetchall()}


def test_entries_chain_within_a_school_from_the_genesis_hash(school_a: School) -> None:
    first, second = _three_views(school_a)[:2]

    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.row_hash
    with schema_context(school_a.schema_name):
        assert chain_verify(AccessLogEntry) is None


def test_each_school_has_a_chain_of_its_own(school_a: School, school_b: School) -> None:
    _three_views(school_a)

    with schema_context(school_b.schema_name):
        entry = _view()
        assert list(AccessLogEntry.objects.all()) == [entry]
    assert entry.prev_hash == GENESIS_HASH


def test_an_entry_keeps_who_did_what_and_from_where(school_a: School) -> None:
    request = RequestFactory().get("/pupils/501/", REMOTE_ADDR="2001:0db8:0000::0001")
    with schema_context(school_a.schema_name):
        entry = access_log_record(
            person=Person(user_id=42, name="Sam Deputy", role="deputy_dsl"),
            action=AccessAction.EXPORTED,
            object_type="chronology",
            object_id=9,
            pupil_id=501,
            request=request,
        )
        stored = AccessLogEntry.objects.get(pk=entry.pk)
        assert chain_verify(AccessLogEntry) is None  # the IPv6 address hashes as stored

    assert (stored.user_id, stored.user_name, stored.user_role) == (42, "Sam Deputy", "deputy_dsl")
    assert (stored.action, stored.object_type, stored.object_id) == ("exported", "chronology", "9")
    assert stored.ip_address == "2001:db8::1"


def test_recording_access_outside_a_school_is_refused(db: None) -> None:
    with pytest.raises(RuntimeError, match="inside a school's schema"):
        _view()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE safeguarding_accesslogentry SET user_name = 'Someone else' WHERE id = %s",
        "DELETE FROM safeguarding_accesslogentry WHERE id = %s",
        "TRUNCATE safeguarding_accesslogentry",
    ],
    ids=["update", "delete", "truncate"],
)
def test_the_database_refuses_to_change_or_remove_an_access_log_entry(
    as_owner: None, school_a: School, statement: str
) -> None:
    with schema_context(school_a.schema_name):
        entry = _view()
        with (
            pytest.raises(DatabaseError, match="append-only audit trail"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk] if "%s" in statement else [])
        assert AccessLogEntry.objects.get(pk=entry.pk).user_name == "Dana Lead"


def test_verify_audit_names_an_altered_entry_as_the_first_broken_link(
    as_owner: None, school_a: School, school_b: School
) -> None:
    _, altered, _ = _three_views(school_a)
    _three_views(school_b)

    _tamper(school_a, "UPDATE {table} SET pupil_id = 999 WHERE id = %s", [altered.pk])

    intact, output = _verify()
    assert not intact
    lines = output.splitlines()
    assert (
        f"school_alder access log: FIRST BROKEN LINK at row {altered.pk}: "
        "row_hash does not match its contents"
    ) in lines
    assert "school_birchwood access log: 3 rows, intact" in lines
    assert any(line.startswith("platform audit log, ") and "intact" in line for line in lines)


def test_verify_audit_finds_an_entry_deleted_from_the_middle(
    as_owner: None, school_a: School
) -> None:
    _, removed, after = _three_views(school_a)

    _tamper(school_a, "DELETE FROM {table} WHERE id = %s", [removed.pk])

    intact, output = _verify()
    assert not intact
    assert (
        f"school_alder access log: FIRST BROKEN LINK at row {after.pk}: "
        "prev_hash does not match the row_hash of the row before it"
    ) in output


def test_the_public_schema_has_no_access_log(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('public.safeguarding_accesslogentry')")
        assert cursor.fetchone() == (None,)


def test_a_school_created_after_the_migrations_has_the_append_only_triggers(
    as_owner: None, world: World, db: None
) -> None:
    school = school_create(
        trust=world.trust,
        name="Hazel Grove Primary",
        slug="hazelgrove",
        urn="912345",
        phase=School.Phase.PRIMARY,
    )

    assert _triggers_of(school.schema_name) == {
        TRIGGER,
        "safeguarding_accesslogentry_no_truncate",
    }
    with schema_context(school.schema_name):
        entry = _view()
        with (
            pytest.raises(DatabaseError, match="append-only audit trail"),
            transaction.atomic(),
        ):
            AccessLogEntry.objects.filter(pk=entry.pk).update(user_name="Someone else")


def test_the_access_log_lists_newest_first_and_filters(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False):
            old = _view(user_id=1, pupil_id=501)
        # 23:30 UTC on 2 June is 00:30 on 3 June in London: a school's day is London's.
        with time_machine.travel(dt.datetime(2026, 6, 2, 23, 30, tzinfo=dt.UTC), tick=False):
            late = _view(user_id=2, pupil_id=502, action=AccessAction.PRINTED)
        with time_machine.travel(dt.datetime(2026, 6, 10, 12, tzinfo=dt.UTC), tick=False):
            new = _view(user_id=1, pupil_id=502)

        assert list(access_log_list()) == [new, late, old]
        assert list(access_log_list(user_id=1)) == [new, old]
        assert list(access_log_list(pupil_id=502)) == [new, late]
        assert list(access_log_list(action=AccessAction.PRINTED)) == [late]
        assert list(access_log_list(since=dt.date(2026, 6, 3))) == [new, late]
        assert list(access_log_list(until=dt.date(2026, 6, 2))) == [old]
        assert list(access_log_list(since=dt.date(2026, 6, 3), until=dt.date(2026, 6, 3))) == [late]
