"""A real Celery worker, in a thread of the test process, on a Redis queue of one test's own.

The worker has its own database connection, so it sees only committed rows: data the test
process made inside its transaction is invisible to it. A queue of its own means a message left by
an aborted run, or sent by another test run on the same Redis, is never picked up here, and this
worker takes no one else's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import uuid4

from celery.contrib.testing.worker import start_worker
from celery.signals import setup_logging
from celery.worker import WorkController

from trustplatform.celery import app


def own_queue(purpose: str) -> str:
    return f"tests-{purpose}-{os.getpid()}-{uuid4().hex[:8]}"


def _keep_django_logging(**kwargs: Any) -> None:
    """Connected to `setup_logging`: Celery then leaves the logging configuration alone."""


@contextmanager
def worker_on(queue: str) -> Iterator[WorkController]:
    """A worker (solo pool) consuming `queue` only; the queue is deleted afterwards."""
    consumed_before = list(app.amqp.queues.consume_from)
    # Without a `setup_logging` receiver the embedded worker replaces the root logger's handlers
    # and level for the rest of the test session.
    setup_logging.connect(_keep_django_logging)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue]) as worker:
            yield worker
    finally:
        setup_logging.disconnect(_keep_django_logging)
        app.amqp.queues.select(consumed_before)
        with app.connection_for_write() as broker:
            # Declared again on this connection so that kombu knows the bindings to remove too.
            bound = app.amqp.queues[queue].bind(broker.default_channel)
            bound.declare()
            bound.delete()
