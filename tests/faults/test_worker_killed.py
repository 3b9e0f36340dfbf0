"""A Celery worker killed with SIGKILL (the kernel's out-of-memory killer, a lost machine) while
it makes a chronology export: another worker makes the export and the DSL gets it.

Late acknowledgement is on (settings.py), so the message stays unacknowledged in Redis, which
hands it out again after the transport's visibility timeout; the job's "running" claim lapses no
later than that. The workers here run with a visibility timeout of seconds instead of minutes.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import psutil
import pytest
from django.db import connections, transaction
from django_tenants.utils import schema_context

from safeguarding.models import ChronologyEntry, ExportJob
from safeguarding.permissions import Reader
from safeguarding.services.chronology import Person, chronology_append
from safeguarding.services.exports import export_job_create
from safeguarding.tasks import chronology_export_task
from tests.conftest import World
from tests.faults.servers import Process, celery_worker
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role

ENTRIES = 400
CLAIM_SECONDS = 60
# The broker hands an unacknowledged message out again this soon (production: 20 minutes).
VISIBILITY_SECONDS = 2
# How soon a DSL may expect the export after the worker making it died.
REDONE_SECONDS = 30


def _job_status(job_id: int) -> str:
    return str(ExportJob.objects.values_list("status", flat=True).get(pk=job_id))


def _wait_for_status(job_id: int, statuses: set[str], seconds: float) -> str:
    deadline = time.monotonic() + seconds
    status = _job_status(job_id)
    while status not in statuses and time.monotonic() < deadline:
        time.sleep(0.05)
        status = _job_status(job_id)
    return status


def _export_queued(world: World, entries: int = ENTRIES) -> ExportJob:
    """A DSL's export of a long chronology, queued (call inside school A's schema)."""
    dsl = world.person("a", Role.DSL)
    pupil = enrol(first="Isolde", last="Marchbank")
    author = Person(user_id=dsl.pk, name=dsl.full_name, role=str(Role.DSL))
    with transaction.atomic():
        for n in range(entries):
            chronology_append(
                pupil=pupil,
                kind=ChronologyEntry.Kind.NOTE,
                author=author,
                title=f"Note {n}",
                body="Met with the class teacher about attendance and wellbeing. " * 6,
            )
    reader = Reader(user_id=dsl.pk, name=dsl.full_name, role=Role.DSL, reads_everything=True)
    job = export_job_create(reader=reader, pupil=pupil, version=ExportJob.Version.FULL)
    chronology_export_task.delay(job.pk)
    return job


def test_an_export_whose_worker_is_killed_is_made_by_another_worker(
    world: World, app_env: dict[str, str], django_db_blocker: object, tmp_path: Path
) -> None:
    school = world.school_a
    workers: list[Process] = []
    with django_db_blocker.unblock(), schema_context(school.schema_name):  # type: ignore[attr-defined]
        job = _export_queued(world)
        env = app_env | {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS)}
        try:
            first = celery_worker(tmp_path / "first.log", env, name="first").start()
            workers.append(first)
            status = _wait_for_status(job.pk, {"running", "done", "failed"}, CLAIM_SECONDS)
            if status != "running":
                pytest.fail(
                    f"the first worker did not take the export:\n{first.log_text()[-2000:]}"
                )
            first.kill()
            if _job_status(job.pk) != "running":
                pytest.fail("the export was finished before the worker was killed")
            # The second worker's first look at unacknowledged messages, when it starts, must
            # come after the visibility timeout (the next is more than a minute later).
            time.sleep(VISIBILITY_SECONDS)

            second = celery_worker(tmp_path / "second.log", env, name="second").start()
            workers.append(second)
            status = _wait_for_status(job.pk, {"done", "failed"}, REDONE_SECONDS)
            assert status == "done", f"the export is still {status!r} after the worker died"
        finally:
            for worker in workers:
                worker.stop()
            connections.close_all()


def test_an_export_whose_worker_child_is_killed_is_made_again_at_once_by_the_same_worker(
    world: World, app_env: dict[str, str], django_db_blocker: object, tmp_path: Path
) -> None:
    """The out-of-memory killer takes the prefork child, not the worker: the worker rejects the
    message back to the queue (task_reject_on_worker_lost) instead of acknowledging it as failed,
    and the same message, run again, takes over its own claim at once."""
    school = world.school_a
    with django_db_blocker.unblock(), schema_context(school.schema_name):  # type: ignore[attr-defined]
        # Shorter than the other test's: one worker makes it twice within REDONE_SECONDS.
        job = _export_queued(world, entries=150)
        # The production visibility timeout (20 minutes): only a rejected message comes back soon.
        worker = celery_worker(tmp_path / "worker.log", app_env, name="only").start()
        try:
            status = _wait_for_status(job.pk, {"running", "done", "failed"}, CLAIM_SECONDS)
            if status != "running":
                pytest.fail(f"the worker did not take the export:\n{worker.log_text()[-2000:]}")
            [child] = psutil.Process(worker.pid).children(recursive=True)
            child.send_signal(signal.SIGKILL)
            if _job_status(job.pk) != "running":
                pytest.fail("the export was finished before the worker's child was killed")

            status = _wait_for_status(job.pk, {"done", "failed"}, REDONE_SECONDS)
            assert status == "done", f"the export is still {status!r} after the child died"
        finally:
            worker.stop()
            connections.close_all()
