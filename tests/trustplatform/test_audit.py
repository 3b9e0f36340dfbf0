"""The platform audit log: hash-chained, append-only in the database, verified by a command."""

from __future__ import annotations

import hashlib
import json
import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, login, logout
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.test import RequestFactory
from django_tenants.utils import schema_context

from tenants.db import school_connection
from tenants.models import School
from tenants.services import school_create, school_reactivate, school_suspend
from tests.conftest import World
from trustplatform.accounts.models import User
from trustplatform.accounts.services import user_create
from trustplatform.audit.admin import AuditEventAdmin
from trustplatform.audit.models import AuditAction, AuditEvent
from trustplatform.audit.services import audit_record
from trustplatform.hashchain import GENESIS_HASH, chain_verify

PASSWORD = "a-long-enough-test-passphrase"
CLIENT_IP = "203.0.113.7"


def _user(email: str = "auditor.test@example.org") -> User:
    return user_create(email=email, full_name="Avery Auditor", password=PASSWORD)


def _request() -> HttpRequest:
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=CLIENT_IP)
    request.session = SessionStore()
    return request


def _last_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _verify() -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def _tamper(sql: str, params: list[int | str]) -> None:
    """Changes the log as someone with the table owner's rights could: trigger off, edit, on."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")


def _three_events() -> list[AuditEvent]:
    return [
        audit_record(action=AuditAction.USER_DISABLED, target_type="user", target_id=n)
        for n in (101, 102, 103)
    ]


def test_each_event_carries_the_hash_of_the_one_before_it(db: None) -> None:
    # Events of no trust and no visitor: the platform's own chain.
    head = (
        AuditEvent.objects.filter(scope="platform")
        .order_by("-pk")
        .values_list("row_hash", flat=True)
        .first()
    )

    first, second = (
        audit_record(action=AuditAction.SESSIONS_ENDED, target_type="user", target_id=7),
        audit_record(action=AuditAction.USER_DISABLED, target_type="user", target_id=7),
    )

    assert first.prev_hash == (head or GENESIS_HASH)
    assert second.prev_hash == first.row_hash
    assert re.fullmatch(r"[0-9a-f]{64}", second.row_hash)
    assert second.row_hash != first.row_hash
    assert chain_verify(AuditEvent) is None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'logout' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
        "TRUNCATE audit_auditevent",
    ],
    ids=["update", "delete", "truncate"],
)
def test_the_database_refuses_to_change_or_remove_an_audit_event(
    as_owner: None, db: None, statement: str
) -> None:
    event = audit_record(action=AuditAction.LOGOUT)

    with (
        pytest.raises(DatabaseError, match="append-only audit trail"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.pk] if "%s" in statement else [])

    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.LOGOUT


def test_the_orm_cannot_delete_an_audit_event_either(as_owner: None, db: None) -> None:
    event = audit_record(action=AuditAction.LOGOUT)

    with (
        pytest.raises(DatabaseError, match=r"DELETE on public\.audit_auditevent refused"),
        transaction.atomic(),
    ):
        event.delete()


@pytest.mark.parametrize(
    ("column", "value"),
    [("action", "login_succeeded"), ("data", '{"new_role": "dsl"}'), ("actor_id", 1)],
)
def test_verify_audit_names_an_altered_row_as_the_first_broken_link(
    as_owner: None, db: None, column: str, value: int | str
) -> None:
    _, altered, _ = _three_events()

    _tamper(
        f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s",  # noqa: S608
        [value, altered.pk],
    )

    intact, output = _verify()
    assert not intact
    assert (
        f"platform audit log, platform: FIRST BROKEN LINK at row {altered.pk}: "
        "row_hash does not match its contents"
    ) in output


def test_verify_audit_finds_a_row_deleted_from_the_middle(as_owner: None, db: None) -> None:
    _, removed, after = _three_events()

    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [removed.pk])

    intact, output = _verify()
    assert not intact
    assert (
        f"platform audit log, platform: FIRST BROKEN LINK at row {after.pk}: "
        "prev_hash does not match the row_hash of the row before it"
    ) in output


def test_verify_audit_finds_a_row_whose_hash_was_replaced_too(as_owner: None, db: None) -> None:
    _, altered, _ = _three_events()

    _tamper(
        "UPDATE audit_auditevent SET action = 'logout', row_hash = %s WHERE id = %s",
        ["f" * 64, altered.pk],
    )

    intact, output = _verify()
    assert not intact
    assert f"FIRST BROKEN LINK at row {altered.pk}: row_hash does not match" in output
    assert chain_verify(AuditEvent) is not None


def test_verify_audit_reports_every_chain_intact_when_nothing_was_touched(
    world: World, db: None
) -> None:
    _three_events()

    intact, output = _verify()

    assert intact, output
    lines = output.splitlines()
    # One line per chain of the log, and together they hold every event.
    chains = [line for line in lines if line.startswith("platform audit log, ")]
    assert all(line.endswith("rows, intact") for line in chains)
    counted = sum(int(line.split(": ")[1].split()[0]) for line in chains)
    assert counted == AuditEvent.objects.count()
    for school in (world.school_a, world.school_b, world.school_c):
        assert any(
            line.startswith(f"{school.schema_name} access log: ") and line.endswith(" intact")
            for line in lines
        )


def test_creating_a_school_records_school_created_with_its_actor(
    as_owner: None, world: World, db: None
) -> None:
    actor = _user()

    school = school_create(
        trust=world.trust,
        name="Hazel Grove Primary",
        slug="hazelgrove",
        urn="912345",
        phase=School.Phase.PRIMARY,
        actor=actor,
    )

    event = AuditEvent.objects.latest("pk")
    assert event.action == AuditAction.SCHOOL_CREATED
    assert event.actor_id == actor.pk
    assert (event.school_id, event.trust_id) == (school.pk, world.trust.pk)
    assert (event.target_type, event.target_id) == ("school", str(school.pk))
    assert event.data == {"slug": "hazelgrove", "urn": "912345", "schema_name": school.schema_name}


def test_a_school_that_fails_to_be_created_leaves_no_audit_row(
    as_owner: None, world: World, db: None
) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(Exception, match="reserved"):
        school_create(
            trust=world.trust, name="W", slug="www", urn="912346", phase=School.Phase.PRIMARY
        )
    assert AuditEvent.objects.count() == before


def test_suspending_and_reactivating_are_recorded_once_each(school_a: School) -> None:
    actor = _user()
    since = _last_pk()

    school_suspend(school=school_a, actor=actor)
    school_suspend(school=school_a, actor=actor)  # already suspended: nothing happens
    school_reactivate(school=school_a, actor=actor)

    events = AuditEvent.objects.filter(pk__gt=since).order_by("pk")
    assert [(e.action, e.actor_id, e.school_id, e.data) for e in events] == [
        (
            AuditAction.SCHOOL_SUSPENDED,
            actor.pk,
            school_a.pk,
            {"old_status": "active", "new_status": "suspended"},
        ),
        (
            AuditAction.SCHOOL_REACTIVATED,
            actor.pk,
            school_a.pk,
            {"old_status": "suspended", "new_status": "active"},
        ),
    ]


def test_a_successful_login_is_recorded_with_the_ip_and_without_the_password(db: None) -> None:
    user = _user()
    request = _request()

    login(request, user, backend="django.contrib.auth.backends.ModelBackend")

    event = AuditEvent.objects.latest("pk")
    assert event.action == AuditAction.LOGIN_SUCCEEDED
    assert (event.actor_id, event.target_type, event.target_id) == (user.pk, "user", str(user.pk))
    assert event.ip_address == CLIENT_IP
    assert PASSWORD not in json.dumps(model_to_dict(event), default=str)


@pytest.mark.parametrize("known", [True, False], ids=["existing-user", "unknown-email"])
def test_a_failed_login_is_recorded_with_the_emails_digest_only(db: None, known: bool) -> None:
    email = "Somebody.Typing@Example.org"
    if known:
        _user(email.lower())

    assert authenticate(_request(), username=email, password="wrong-" + PASSWORD) is None

    event = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).latest("pk")
    assert event.actor_id is None
    assert event.ip_address == CLIENT_IP
    assert event.data == {"email_sha256": hashlib.sha256(email.lower().encode()).hexdigest()}
    stored = json.dumps(model_to_dict(event), default=str).lower()
    assert email.lower() not in stored
    assert PASSWORD not in stored


def test_logging_out_is_recorded(db: None) -> None:
    user = _user()
    request = _request()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.user = user

    logout(request)

    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.actor_id) == (AuditAction.LOGOUT, user.pk)


def test_a_login_on_a_schools_site_names_the_school(school_a: School) -> None:
    user = _user()
    request = _request()
    request.tenant = school_a  # type: ignore[attr-defined]  # set by the routing middleware

    login(request, user, backend="django.contrib.auth.backends.ModelBackend")

    event = AuditEvent.objects.latest("pk")
    assert (event.school_id, event.trust_id) == (school_a.pk, school_a.trust_id)


def test_an_event_recorded_inside_a_school_is_written_to_the_public_log(
    school_a: School,
) -> None:
    with schema_context(school_a.schema_name):
        event = audit_record(action=AuditAction.ROLE_ASSIGNED, school=school_a, target_id=5)
        assert school_connection.schema_name == school_a.schema_name  # and stays there

    with connection.cursor() as cursor:
        cursor.execute("SELECT action FROM public.audit_auditevent WHERE id = %s", [event.pk])
        assert cursor.fetchone() == ("role_assigned",)
        cursor.execute("SELECT to_regclass(%s)", [f"{school_a.schema_name}.audit_auditevent"])
        assert cursor.fetchone() == (None,)
    assert chain_verify(AuditEvent) is None


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"full_name": "Zebedee Quintrell"}, ValueError),
        ({"pupil": {"name": "Zebedee Quintrell"}}, ValueError),
        ({"email": "someone@example.org"}, ValueError),
        ({"score": 1.5}, TypeError),
    ],
)
def test_audit_data_that_could_name_a_person_or_break_the_hash_is_refused(
    db: None, data: dict[str, object], error: type[Exception]
) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(error):
        audit_record(action=AuditAction.ROLE_CHANGED, data=data)
    assert AuditEvent.objects.count() == before


def test_audit_rows_hold_ids_and_codes_never_names(as_owner: None, world: World, db: None) -> None:
    actor = _user()
    since = _last_pk()
    school = school_create(
        trust=world.trust,
        name="Hazel Grove Primary",
        slug="hazelgrove",
        urn="912345",
        phase=School.Phase.PRIMARY,
        actor=actor,
    )
    school_suspend(school=school, actor=actor)
    login(_request(), actor, backend="django.contrib.auth.backends.ModelBackend")
    authenticate(_request(), username=actor.email, password="wrong")

    events = list(AuditEvent.objects.filter(pk__gt=since))
    assert len(events) == 4
    for event in events:
        stored = json.dumps(model_to_dict(event), default=str)
        for sensitive in (actor.full_name, actor.email, school.name):
            assert sensitive not in stored
        for value in event.data.values():
            assert isinstance(value, int) or re.fullmatch(r"[a-z0-9_-]+", value)


def test_the_operators_admin_shows_the_log_read_only(db: None) -> None:
    request = RequestFactory().get("/admin/audit/auditevent/")
    request.user = User(is_staff=True, is_superuser=True)
    model_admin = AuditEventAdmin(AuditEvent, admin_site=None)  # type: ignore[arg-type]
    event = audit_record(action=AuditAction.LOGOUT)

    assert model_admin.has_view_permission(request, event)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
