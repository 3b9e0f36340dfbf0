"""A real Celery worker process, started as production starts it, logs no word of a record when a
task fails on it: its log lines go through the same formatter as the web's
(trustplatform/logformat.py), which withholds exception messages
(docs/rules.md, "No side channels").
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from uuid import uuid4

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context
from kombu import Queue

from tests.conftest import World
from tests.trustplatform.worker_tasks import ACCOUNT, concern_text_fails_task
from trustplatform.accounts.models import Role
from trustplatform.celery import app

WORDS = ("Marigold", "Thistlewaite", "Bartholomew", "hairbrush")
STARTUP_SECONDS = 60
TASK_SECONDS = 60


def _database_url() -> str:
    """The test database, for the worker process: the same server, the test's database name."""
    params = connection.get_connection_params()
    user = params.get("user") or ""
    password = f":{params['password']}" if params.get("password") else ""
    host = params.get("host") or ""
    port = f":{params['port']}" if params.get("port") else ""
    name = settings.DATABASES["default"]["NAME"]
    if host.startswith("/"):  # the embedded server's socket folder
        return f"postgres://{user}{password}@/{name}?host={host}"
    return f"postgres://{user}{password}@{host}{port}/{name}"


def _wait_for(log: Path, text: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.celery
def test_a_worker_task_failing_on_a_concerns_text_logs_no_word_of_it(
    world: World, django_db_blocker: object, tmp_path: Path
) -> None:
    if not settings.REDIS_URL:
        pytest.fail("The worker test needs Redis at REDIS_URL, the broker production uses.")
    queue = f"tests-worker-logs-{os.getpid()}-{uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    project = Path(settings.BASE_DIR)
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        environment = os.environ | {"DATABASE_URL": _database_url(), "LOG_LEVEL": "INFO"}
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "--app=trustplatform",
                "worker",
                "--pool=solo",
                f"--queues={queue}",
                "--include=tests.trustplatform.worker_tasks",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=project,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        assert _wait_for(log, "ready", STARTUP_SECONDS), log.read_text(errors="replace")
        staff = world.person("a", Role.STAFF)
        with schema_context(world.school_a.schema_name):
            sent = concern_text_fails_task.apply_async((staff.pk,), queue=queue)
        # Celery logs a failure with the task's id; the line is the last thing the task leaves.
        assert _wait_for(log, f"[{sent.id}] raised", TASK_SECONDS), log.read_text(errors="replace")
    finally:
        worker.terminate()
        worker.wait(30)
        with app.connection_for_write() as broker:
            bound = Queue(queue).bind(broker.default_channel)
            bound.declare()
            bound.delete()

    text = log.read_text(errors="replace")
    assert "ConcernUnreadable" in text  # the failure is logged, by its kind and frames
    assert all(word in ACCOUNT for word in WORDS)
    for word in WORDS:
        assert word not in text, f"the worker's log quotes the concern: {word!r}"
