"""The Celery app. Tasks carry the school's schema in a message header (tenant-schemas-celery).

Task arguments are ids only: never names or concern text, which would sit in the broker and in
error reports. Workers and beat log through the web's own configuration (settings.LOGGING), whose
formatter withholds exception messages: Celery's own would print them.
"""

from __future__ import annotations

import logging.config
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Before anything that reads Django's settings at import: django_tenants.utils and tenants.db do,
# and this module is imported by the package itself (trustplatform/__init__.py), so by every
# process that imports trustplatform.anything (gunicorn's trustplatform.wsgi, celery -A
# trustplatform, manage.py) before it has had a chance to set the variable itself.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustplatform.settings")

from celery.signals import setup_logging
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context
from redis.exceptions import RedisError
from tenant_schemas_celery.app import CeleryApp
from tenant_schemas_celery.task import TenantTask

from tenants.db import school_connection

logger = logging.getLogger(__name__)

# How long a message's deliveries are remembered: far longer than any task runs and than the
# broker's visibility timeout, after which an unacknowledged message is delivered again.
DELIVERIES_REMEMBERED_SECONDS = 7 * 24 * 60 * 60


def _delivery_count(task_id: str) -> int:
    """This delivery's number for the message `task_id` (1 for its first run), counted in the
    cache (Redis); 1 when it cannot be counted, so a cache that is down never stops work."""
    from django.core.cache import cache  # noqa: PLC0415 - read once Django is set up

    key = f"celery-deliveries:{task_id}"
    try:
        cache.add(key, 0, timeout=DELIVERIES_REMEMBERED_SECONDS)
        return int(cache.incr(key))
    except (RedisError, ValueError):  # Redis down, or the key lost meanwhile
        return 1


class DeliveryCappedTask(TenantTask):
    """Base of every task of this app: a message acknowledged late that has been delivered
    TASK_MAX_DELIVERIES times already is logged and given up, not run again.

    With late acknowledgement and task_reject_on_worker_lost, a message whose run kills its worker
    (the out-of-memory killer) goes back to the queue and runs again; one that kills it every
    time would go round for ever, taking a worker each time. A run that ends, in success or in
    failure, is acknowledged and never delivered again, so only such lost runs count here.
    """

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = self.request
        if self.acks_late and not request.is_eager and request.id:
            from django.conf import settings  # noqa: PLC0415

            limit = int(settings.TASK_MAX_DELIVERIES)
            delivery = _delivery_count(str(request.id))
            if delivery > limit:
                # Ids only: a task's arguments are ids, never a child's name (docs/rules.md).
                logger.error(
                    "task %s[%s] given up: delivered %d times, its worker was lost each time",
                    self.name,
                    request.id,
                    delivery - 1,
                )
                return None
        return super().__call__(*args, **kwargs)


app = CeleryApp("trustplatform", task_cls=DeliveryCappedTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _broker_folders_ensure(sender: Any, **kwargs: Any) -> None:
    # The filesystem broker (development without Redis) needs its folders before the first
    # message, in whichever process sends it first: web, worker, beat or a management command.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if folder := options.get(key):
            Path(folder).mkdir(parents=True, exist_ok=True)


@setup_logging.connect
def _logging_as_the_web(**kwargs: Any) -> None:
    """A receiver of `setup_logging` replaces Celery's logging set-up (its own handlers and
    formatter on the root logger) in every worker and beat process: they log as the web does,
    through trustplatform.logformat, so an uncaught exception's message (which can quote a record)
    never reaches their logs."""
    from django.conf import settings  # noqa: PLC0415 - read once Django is set up

    logging.config.dictConfig(settings.LOGGING)


def on_commit_in_this_school(send: Callable[[], object]) -> None:
    """Runs `send` (typically a task's .delay) after the transaction commits, inside the school
    that is current now, when the work is queued.

    tenant-schemas-celery puts the connection's schema in the message when it is sent; an
    on_commit callback runs in whatever schema the connection is in at the commit, which may be
    another school's, or public, when the caller has left the school's schema by then.
    """
    schema = school_connection.schema_name

    def in_school() -> None:
        with schema_context(schema):
            send()

    transaction.on_commit(in_school)


def task_send(name: str, *args: int, countdown: float | None = None) -> None:
    """Queues the task registered under `name`, from the schema that is current now.

    Services queue work by task name, so they never import the tasks that call them. The task's
    own `apply_async` sends it, so the message carries the current schema in its header exactly
    as `.delay()` does (tenant-schemas-celery).
    """
    if name not in app.tasks:
        # A web process has imported no task module until Celery's autodiscovery runs.
        app.loader.import_default_modules()
    # No publish retries: work queued after a commit must not hold a request on a dead broker;
    # whoever queues decides what a refusal means (the outbox's sweeper sends it later).
    app.tasks[name].apply_async(args=args, countdown=countdown, retry=False)


class SchoolContextMissing(RuntimeError):
    """A school task arrived without a school: refused rather than run in the public schema."""


class SchoolTask(app.Task):  # type: ignore[name-defined]
    """Base for tasks that work on one school's records; they run only inside that school."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if school_connection.schema_name == get_public_schema_name():
            raise SchoolContextMissing(f"{self.name} must be sent from inside a school's schema.")
        return super().__call__(*args, **kwargs)
