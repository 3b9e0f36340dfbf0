"""A task whose run kills its worker's child every time (the out-of-memory killer taking a task
that always needs too much) is given up after TASK_MAX_DELIVERIES deliveries and logged: with late
acknowledgement and task_reject_on_worker_lost its message would otherwise go back to the queue
and take a worker for ever (trustplatform/celery.py, DeliveryCappedTask).

The task is the school's expiry of old drafts, a real one run by a real worker. Its DELETE waits
on a row this test keeps locked, so every run is still going when the test kills the child.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import psutil
import psycopg2
import redis
from django.db import connections
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models.drafts import Draft
from safeguarding.services.drafts import DRAFT_KEEP_DAYS
from safeguarding.tasks import drafts_expire_school_task
from tests.conftest import World
from tests.faults.servers import celery_worker
from trustplatform.accounts.models import Role

MAX_DELIVERIES = 2
# Each delivery: the worker starts a new child, which takes the message again and runs it.
SECONDS = 90
# After giving up, the time within which another delivery would have come (they come at once).
QUIET_SECONDS = 3


def _waiting_runs(cursor: psycopg2.extensions.cursor) -> set[int]:
    """The database sessions of runs waiting on the locked draft: one per delivery."""
    cursor.execute(
        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND query LIKE 'DELETE FROM \"safeguarding_draft\"%%'"
    )
    return {pid for (pid,) in cursor.fetchall()}


def test_a_task_that_kills_its_worker_every_time_is_given_up_after_the_last_delivery(
    world: World,
    app_env: dict[str, str],
    test_database_url: str,
    django_db_blocker: object,
    tmp_path: Path,
) -> None:
    school = world.school_a
    schema = school.schema_name
    holder = psycopg2.connect(test_database_url)
    watcher = psycopg2.connect(test_database_url)
    watcher.autocommit = True
    env = app_env | {"TASK_MAX_DELIVERIES": str(MAX_DELIVERIES)}
    with django_db_blocker.unblock(), schema_context(schema):  # type: ignore[attr-defined]
        draft = Draft.objects.create(
            author_id=world.person("a", Role.STAFF).pk,
            form=Draft.Form.CONCERN,
            fields={},
            saved_at=timezone.now() - dt.timedelta(days=DRAFT_KEEP_DAYS + 1),
        )
        with holder.cursor() as cursor:  # held until the end: every run waits on it
            cursor.execute(f'SET search_path = "{schema}"')
            cursor.execute("SELECT 1 FROM safeguarding_draft WHERE id = %s FOR UPDATE", [draft.pk])
        drafts_expire_school_task.delay()
        worker = celery_worker(tmp_path / "worker.log", env, name="only").start()
        runs: set[int] = set()
        try:
            with watcher.cursor() as cursor:
                deadline = time.monotonic() + SECONDS
                while time.monotonic() < deadline and "given up" not in worker.log_text():
                    if new := _waiting_runs(cursor) - runs:
                        runs |= new
                        for child in psutil.Process(worker.pid).children(recursive=True):
                            child.kill()  # SIGKILL, as the out-of-memory killer sends
                    time.sleep(0.05)
                assert "given up" in worker.log_text(), worker.log_text()[-3000:]
                time.sleep(QUIET_SECONDS)
                runs |= _waiting_runs(cursor)
            log = worker.log_text()
            assert len(runs) == MAX_DELIVERIES
            assert f"given up: delivered {MAX_DELIVERIES} times" in log
            # Acknowledged: the message is neither waiting nor taken by a worker any more.
            broker = redis.Redis.from_url(env["REDIS_URL"])
            assert broker.llen("default") == 0
            # The acknowledgement reaches the broker shortly after the worker logs the give-up.
            acked_by = time.monotonic() + 10
            while broker.hlen("unacked") and time.monotonic() < acked_by:
                time.sleep(0.1)
            assert broker.hlen("unacked") == 0
        finally:
            holder.rollback()
            holder.close()
            watcher.close()
            worker.stop()
            connections.close_all()
