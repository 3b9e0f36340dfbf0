"""Schools stay apart in the cache and in Celery: a value or a task of one school never reaches
another, and a school task sent without a school is refused rather than run in `public`.

The Celery tests run a real worker thread on the Redis broker at REDIS_URL. The worker has its
own database connection, so everything a task reads is committed: the schools come from the
session fixture `world`, and a test commits its own rows and removes them again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from celery.backends.redis import RedisBackend
from celery.result import AsyncResult
from celery.signals import before_task_publish
from celery.worker import WorkController
from django.conf import settings
from django.core.cache import cache
from django_tenants.utils import get_public_schema_name, schema_context

from safeguarding.models import Category
from tenants.db import school_connection
from tenants.selectors import schools_active
from tenants.tasks import escalate_unscreened_concerns_task
from tests.celery_worker import own_queue, worker_on
from tests.conftest import World
from trustplatform.celery import SchoolContextMissing, SchoolTask, app, task_send
from trustplatform.statistics.services import SCHOOL_REFRESH_TASK

QUEUE = own_queue("isolation")
MARKER = "Celery isolation marker category"

# Celery's Redis result backend (used by these tests only) calls redis-py's deprecated `setex`.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated setex:DeprecationWarning")
TASK_TIMEOUT = 30


@app.task(base=SchoolTask, name="tests.category_report_task")
def category_report_task(category_id: int) -> dict[str, object]:
    """Which schema the task ran in, and whether that school has the category (loaded by id)."""
    return {
        "schema": school_connection.schema_name,
        "found": Category.objects.filter(pk=category_id).exists(),
    }


@pytest.fixture(scope="module")
def celery_worker(world: World) -> Iterator[WorkController]:
    if not settings.REDIS_URL:
        pytest.fail(
            "The Celery tests need Redis at REDIS_URL (e.g. REDIS_URL=redis://127.0.0.1:6379/3): "
            "they run a real worker on the broker production uses."
        )
    # config_from_object("django.conf:settings", namespace="CELERY"): CELERY_BROKER_URL.
    assert app.conf.broker_url == settings.REDIS_URL

    # The project keeps no task results; this test task stores its own in Redis so that the test
    # can wait for it and read how it ended. Set on the task, not the app, so nothing else changes.
    backend = RedisBackend(app=app, url=settings.REDIS_URL)
    category_report_task.backend = backend
    try:
        with worker_on(QUEUE) as worker:
            yield worker
    finally:
        backend.client.connection_pool.disconnect()


@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    """The headers and body of every task message this test sends, as the broker receives them."""
    messages: list[dict[str, Any]] = []

    def record(headers: dict[str, Any], body: Any, **kwargs: Any) -> None:
        messages.append({"headers": headers, "body": body})

    before_task_publish.connect(record)
    yield messages
    before_task_publish.disconnect(record)


@pytest.fixture
def marker_in_school_a(world: World, django_db_blocker: Any) -> Iterator[int]:
    """A category committed in school A only (the worker cannot see uncommitted rows)."""
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):
        marker = Category.objects.create(name=MARKER)
    yield marker.pk
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):
        marker.delete()


def send(category_id: int) -> AsyncResult[Any]:
    """`.delay(category_id)` on this module's queue; the school is the current schema."""
    return category_report_task.apply_async((category_id,), queue=QUEUE)


def outcome(result: AsyncResult[Any]) -> tuple[str, object]:
    """Wait for the worker to finish the task: its state and its return value or exception."""
    try:
        result.get(timeout=TASK_TIMEOUT, propagate=False)
        return result.state, result.result
    finally:
        result.forget()


def test_a_cached_value_of_school_a_is_not_read_in_school_b_or_in_public(world: World) -> None:
    key = f"greeting-{uuid4().hex}"
    try:
        with schema_context(world.school_a.schema_name):
            cache.set(key, "A")
            # django_tenants.cache.make_key puts the schema in every key.
            assert world.school_a.schema_name in cache.make_key(key)
        with schema_context(world.school_b.schema_name):
            assert cache.get(key) is None
            cache.set(key, "B")
        assert cache.get(key) is None

        with schema_context(world.school_a.schema_name):
            assert cache.get(key) == "A"
        with schema_context(world.school_b.schema_name):
            assert cache.get(key) == "B"
    finally:
        for schema_name in (world.school_a.schema_name, world.school_b.schema_name):
            with schema_context(schema_name):
                cache.delete(key)


@pytest.mark.celery
def test_a_task_sent_from_school_a_runs_in_school_a_and_sees_only_its_rows(
    world: World,
    celery_worker: WorkController,
    marker_in_school_a: int,
    django_db_blocker: Any,
) -> None:
    with django_db_blocker.unblock():
        with schema_context(world.school_a.schema_name):
            from_a = send(marker_in_school_a)
        with schema_context(world.school_b.schema_name):
            from_b = send(marker_in_school_a)
        ran_in_a = outcome(from_a)
        ran_in_b = outcome(from_b)

    assert ran_in_a == ("SUCCESS", {"schema": world.school_a.schema_name, "found": True})
    # The same id looked up in B's own table: B never sees A's row.
    assert ran_in_b == ("SUCCESS", {"schema": world.school_b.schema_name, "found": False})


@pytest.mark.celery
def test_a_school_task_sent_without_a_school_is_refused(
    world: World,
    celery_worker: WorkController,
    marker_in_school_a: int,
    django_db_blocker: Any,
) -> None:
    assert school_connection.schema_name == get_public_schema_name()
    with django_db_blocker.unblock():
        state, raised = outcome(send(marker_in_school_a))

    assert state == "FAILURE"
    assert isinstance(raised, SchoolContextMissing)


@pytest.mark.celery
def test_a_task_message_carries_the_school_in_a_header_and_only_ids_as_arguments(
    world: World,
    celery_worker: WorkController,
    marker_in_school_a: int,
    published: list[dict[str, Any]],
    django_db_blocker: Any,
) -> None:
    with django_db_blocker.unblock():
        with schema_context(world.school_a.schema_name):
            sent = send(marker_in_school_a)
        assert outcome(sent)[0] == "SUCCESS"

    [message] = published
    assert message["headers"]["_schema_name"] == world.school_a.schema_name
    assert message["headers"]["task"] == "tests.category_report_task"
    args, kwargs, _ = message["body"]  # Celery's message protocol 2: (args, kwargs, embed)
    assert list(args) == [marker_in_school_a]
    assert all(isinstance(arg, int) for arg in args)
    assert kwargs == {}


@pytest.mark.celery
def test_a_task_queued_by_name_carries_the_school_in_a_header_as_delay_does(
    world: World, published: list[dict[str, Any]], django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock(), schema_context(world.school_b.schema_name):
        task_send(SCHOOL_REFRESH_TASK, countdown=3600)
    try:
        [message] = published
        assert message["headers"]["_schema_name"] == world.school_b.schema_name
        assert message["headers"]["task"] == SCHOOL_REFRESH_TASK
        args, kwargs, _ = message["body"]
        assert (list(args), kwargs) == ([], {})
    finally:
        # Nothing here consumes the default queue: the refresh is taken back from the broker.
        with app.connection_for_write() as broker:
            broker.default_channel.queue_purge(app.conf.task_default_queue)


@pytest.mark.celery
def test_the_nightly_escalation_asks_each_active_school_from_inside_that_school(
    world: World, published: list[dict[str, Any]], django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock():
        schools = {school.schema_name for school in schools_active()}
        try:
            assert escalate_unscreened_concerns_task.apply().get() == len(schools)
        finally:
            with app.connection_for_write() as broker:
                broker.default_channel.queue_purge(app.conf.task_default_queue)
    assert {m["headers"]["task"] for m in published} == {"safeguarding.concerns_escalate"}
    assert sorted(m["headers"]["_schema_name"] for m in published) == sorted(schools)
    assert world.school_a.schema_name in schools
