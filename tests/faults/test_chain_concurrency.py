"""Writers in separate processes, each with its own connection as web and worker processes have,
append to one school's chronology and to the audit log at the same moment: every row lands on the
end of its chain, none forks it, and the chains verify (trustplatform/hashchain.py)."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier

from django.db import connections, transaction
from django_tenants.utils import schema_context

from safeguarding.models import ChronologyEntry, Pupil
from safeguarding.services.chronology import Person, chronology_append
from tests.conftest import World
from tests.faults import plugin
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role
from trustplatform.audit.models import AuditAction, AuditEvent
from trustplatform.audit.services import audit_record
from trustplatform.hashchain import chain_verify

WRITERS = 20
JOIN_SECONDS = 90


def _append_to_chronology(schema: str, pupil_id: int, n: int, start: Barrier) -> None:
    connections.close_all()  # a connection of this process's own
    author = Person(user_id=1, name="Writer", role=str(Role.STAFF))
    with schema_context(schema):
        pupil = Pupil.objects.get(pk=pupil_id)
        start.wait()
        # As every service calls it: inside the recording's transaction, which holds the locks.
        with transaction.atomic():
            chronology_append(
                pupil=pupil,
                kind=ChronologyEntry.Kind.NOTE,
                author=author,
                title=f"Concurrent note {n}",
                body=f"Written by writer {n}",
            )
    connections.close_all()


def _append_to_audit(trust_id: int, n: int, start: Barrier) -> None:
    connections.close_all()
    from tenants.models import Trust  # noqa: PLC0415

    trust = Trust.objects.get(pk=trust_id)
    start.wait()
    audit_record(
        action=AuditAction.TERM_DATES_CHANGED, trust=trust, target_type="writer", target_id=n
    )
    connections.close_all()


def test_twenty_writers_at_once_on_each_chain_leave_no_fork(
    servers: plugin.Servers, world: World, django_db_blocker: object
) -> None:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        school = world.school_a
        with schema_context(school.schema_name):
            pupil = enrol(first="Corin", last="Hallowes")
            before = ChronologyEntry.objects.count()
        audit_before = AuditEvent.objects.count()
        # Forked writers must not share this process's sockets.
        connections.close_all()
        fork = multiprocessing.get_context("fork")
        start = fork.Barrier(2 * WRITERS)
        writers = [
            fork.Process(
                target=_append_to_chronology, args=(school.schema_name, pupil.pk, n, start)
            )
            for n in range(WRITERS)
        ] + [
            fork.Process(target=_append_to_audit, args=(world.trust.pk, n, start))
            for n in range(WRITERS)
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join(JOIN_SECONDS)
        assert [w.exitcode for w in writers] == [0] * len(writers), "a writer failed"

        with schema_context(school.schema_name):
            assert ChronologyEntry.objects.count() == before + WRITERS
            titles = set(
                ChronologyEntry.objects.filter(pupil=pupil).values_list("title", flat=True)
            )
            assert titles == {f"Concurrent note {n}" for n in range(WRITERS)}
            prev = list(ChronologyEntry.objects.values_list("prev_hash", flat=True))
            assert len(prev) == len(set(prev)), "two entries follow the same entry"
            assert chain_verify(ChronologyEntry) is None
        assert AuditEvent.objects.count() == audit_before + WRITERS
        assert chain_verify(AuditEvent) is None
