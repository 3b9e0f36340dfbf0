"""The platform audit log is one hash chain per scope: each trust's events, the anonymous sign-in
events (failed sign-ins, lockouts, reset requests) and the platform's own. A writer in one trust
never waits for another trust's writers, nor for a flood of anonymous sign-in attempts
(docs/security.md, "Audit chains").
"""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, transaction
from django.test import RequestFactory

from tenants.models import Trust
from tenants.services import trust_create
from tests.conftest import World
from tests.trustplatform.test_audit import _verify
from trustplatform.audit.models import AuditAction, AuditEvent
from trustplatform.audit.services import audit_record
from trustplatform.hashchain import GENESIS_HASH

# Long enough for a writer that is not blocked; far shorter than a test's patience.
LOCK_WAIT = "3s"


def _previous_in_scope(event: AuditEvent) -> str:
    return (
        AuditEvent.objects.filter(scope=event.scope, pk__lt=event.pk)
        .order_by("-pk")
        .values_list("row_hash", flat=True)
        .first()
        or GENESIS_HASH
    )


def _anonymous_request():  # type: ignore[no-untyped-def]
    return RequestFactory().post("/accounts/login/", REMOTE_ADDR="198.51.100.9")


def test_each_trusts_events_form_a_chain_of_their_own(world: World, db: None) -> None:
    ours = audit_record(action=AuditAction.ROLE_CHANGED, trust=world.trust, target_id=1)
    theirs = audit_record(action=AuditAction.ROLE_CHANGED, trust=world.other_trust, target_id=2)
    ours_again = audit_record(action=AuditAction.ROLE_CHANGED, school=world.school_a, target_id=3)

    assert ours.scope == ours_again.scope == f"trust:{world.trust.pk}"
    assert theirs.scope == f"trust:{world.other_trust.pk}"
    # The next event of our trust links to our trust's last event, not to the other trust's.
    assert ours_again.prev_hash == ours.row_hash
    assert theirs.prev_hash == _previous_in_scope(theirs)


def test_a_new_trusts_chain_starts_from_its_own_genesis(db: None) -> None:
    first = trust_create(name="Fallowfield Learning Trust", slug="fallowfield")
    second = trust_create(name="Grangemoor Schools Trust", slug="grangemoor")

    firsts = [
        audit_record(action=AuditAction.DSL_TRAINING_RECORDED, trust=trust)
        for trust in (first, second)
    ]

    assert [event.prev_hash for event in firsts] == [GENESIS_HASH, GENESIS_HASH]


def test_anonymous_sign_in_events_have_a_chain_apart_from_the_trusts(
    world: World, db: None
) -> None:
    trust_event = audit_record(action=AuditAction.ROLE_CHANGED, school=world.school_a)
    failed = audit_record(
        action=AuditAction.LOGIN_FAILED, school=world.school_a, request=_anonymous_request()
    )
    reset = audit_record(action=AuditAction.PASSWORD_RESET_REQUESTED, request=_anonymous_request())

    assert failed.scope == reset.scope == "anonymous"
    assert failed.school_id == world.school_a.pk  # still says where it happened
    assert reset.prev_hash == failed.row_hash
    assert failed.prev_hash != trust_event.row_hash


def test_a_writer_holding_one_trusts_chain_does_not_hold_up_another_trust(
    world: World, db: None, django_db_blocker: object
) -> None:
    holding, release, done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def other_writer() -> None:
        # Its own connection and transaction, as another web worker would have; rolled back.
        try:
            with transaction.atomic():
                audit_record(action=AuditAction.ROLE_CHANGED, trust=world.other_trust)
                holding.set()
                release.wait(10)
                raise _RollBack
        except _RollBack:
            pass
        except BaseException as error:
            errors.append(error)
            holding.set()
        finally:
            connection.close()
            done.set()

    writer = threading.Thread(target=other_writer)
    writer.start()
    try:
        assert holding.wait(10)
        assert not errors
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
        ours = audit_record(action=AuditAction.ROLE_CHANGED, trust=world.trust)
        anonymous = audit_record(action=AuditAction.LOGIN_FAILED, request=_anonymous_request())
    except OperationalError as error:  # lock timeout: we waited for the other trust
        pytest.fail(f"An audited write waited for another trust's transaction: {error}")
    finally:
        release.set()
        writer.join(15)
    assert ours.scope != anonymous.scope


class _RollBack(Exception):
    pass


def test_verify_audit_walks_each_scope_and_names_the_broken_one(
    as_owner: None, world: World, db: None
) -> None:
    ours = [
        audit_record(action=AuditAction.USER_DISABLED, trust=world.trust, target_id=n)
        for n in (1, 2, 3)
    ]
    audit_record(action=AuditAction.USER_DISABLED, trust=world.other_trust, target_id=4)

    intact, output = _verify()
    assert intact, output
    assert f"platform audit log, trust:{world.trust.pk}:" in output
    assert f"platform audit log, trust:{world.other_trust.pk}:" in output

    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        cursor.execute("UPDATE audit_auditevent SET target_id = '9' WHERE id = %s", [ours[1].pk])
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")

    intact, output = _verify()
    assert not intact
    assert (
        f"platform audit log, trust:{world.trust.pk}: FIRST BROKEN LINK at row {ours[1].pk}: "
        "row_hash does not match its contents"
    ) in output
    assert f"platform audit log, trust:{world.other_trust.pk}: " in output
    assert f"trust:{world.other_trust.pk}: FIRST BROKEN" not in output


def test_two_chains_may_start_from_the_same_genesis_but_one_chain_never_forks(db: None) -> None:
    trust = Trust.objects.create(name="Hollins Trust", slug="hollins")
    event = audit_record(action=AuditAction.ROLE_CHANGED, trust=trust)
    assert event.prev_hash == GENESIS_HASH

    with pytest.raises(Exception, match="one_successor"), transaction.atomic():
        AuditEvent.objects.create(
            scope=event.scope, prev_hash=GENESIS_HASH, row_hash="a" * 64, action="logout"
        )
