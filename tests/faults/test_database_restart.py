"""PostgreSQL restarted while staff record concerns through gunicorn: each member of staff sees
either their receipt or the "briefly unavailable" page (never a traceback), every concern is
whole or absent, and the school's chronology still verifies."""

from __future__ import annotations

import threading
import time

from django.db import connections
from django_tenants.utils import schema_context

from safeguarding.models import ChronologyEntry, Concern
from tests.conftest import World
from tests.faults import plugin
from tests.faults.conftest import Recorder, Reply, Web, record_concern, staff_recorder
from trustplatform.hashchain import chain_verify

STAFF = 6
BEFORE_RESTART_SECONDS = 2.0
AFTER_RESTART_SECONDS = 3.0
UNAVAILABLE = "The service is briefly unavailable"


def _record_until(
    web: Web,
    world: World,
    *,
    recorder: Recorder,
    stop: threading.Event,
    results: list[tuple[str, Reply]],
) -> None:
    while not stop.is_set():
        token, reply = record_concern(web, world.school_a, recorder.cookies, recorder.form)
        results.append((token, reply))
        if not token:
            time.sleep(0.1)


def test_a_database_restart_while_staff_record_concerns_loses_or_halves_nothing(
    servers: plugin.Servers, world: World, web: Web, django_db_blocker: object
) -> None:
    school = world.school_a
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        recorder = staff_recorder(world, school, "Tamsin", "Okonedo")
    pupil = recorder.pupil
    stop = threading.Event()
    results: list[tuple[str, Reply]] = []
    staff = [
        threading.Thread(
            target=_record_until,
            args=(web, world),
            kwargs={"recorder": recorder, "stop": stop, "results": results},
        )
        for _ in range(STAFF)
    ]
    for member in staff:
        member.start()
    time.sleep(BEFORE_RESTART_SECONDS)
    servers.postgres.restart()
    time.sleep(AFTER_RESTART_SECONDS)
    stop.set()
    for member in staff:
        member.join(60)

    statuses = [reply.status for _, reply in results]
    assert 503 in statuses, "no request fell in the restart: the test proved nothing"
    assert set(statuses) <= {302, 503}, statuses
    for _, reply in results:
        assert "Traceback" not in reply.text
        if reply.status == 503:
            assert UNAVAILABLE in reply.text
    receipts = {token for token, reply in results if reply.status == 302}
    assert receipts, "no concern was recorded at all"
    # The service is back: the next concern is recorded.
    assert statuses[-STAFF:].count(302) >= 1

    with django_db_blocker.unblock(), schema_context(school.schema_name):  # type: ignore[attr-defined]
        saved = {
            concern.account.split(":", 1)[0]: concern
            for concern in Concern.objects.filter(pupils=pupil)
        }
        # Every receipt stands for a saved concern; a concern saved when its page failed
        # afterwards is whole too.
        assert receipts <= set(saved)
        for concern in saved.values():
            assert list(concern.pupils.all()) == [pupil]
            assert concern.categories.count() == 1
            assert ChronologyEntry.objects.filter(concern=concern, pupil=pupil).count() == 1
        assert ChronologyEntry.objects.filter(pupil=pupil).count() == len(saved)
        assert chain_verify(ChronologyEntry) is None
        connections.close_all()
