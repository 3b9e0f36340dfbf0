"""Tasks of the outbox: thin, ids only, safe to run twice (a message is claimed before it goes)."""

from __future__ import annotations

from typing import Any

from celery.signals import worker_ready
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from tenants.models import School
from trustplatform.celery import app
from trustplatform.outbox.services import OUTBOX_SEND_TASK, outbox_send, outbox_sweep_here


# Runs in the schema the message was added in (the header tenant-schemas-celery adds): public
# for the trust's own emails, a school's for its alerts.
@app.task(name=OUTBOX_SEND_TASK, acks_late=True, soft_time_limit=60, time_limit=90)
def outbox_send_task(*message_ids: int) -> int:
    """Sends each message it can claim, one after another; returns how many the server accepted.
    Redelivered after a crash, it skips those already sent."""
    return sum(outbox_send(message_id=message_id) for message_id in message_ids)


@app.task(name="outbox.sweep", acks_late=True, soft_time_limit=120, time_limit=180)
def outbox_sweep_task() -> int:
    """Beat, every minute: queues again what is unsent, in the public schema and every school."""
    with schema_context(get_public_schema_name()):
        queued = outbox_sweep_here()
    for school in School.objects.filter(status=School.Status.ACTIVE):
        with tenant_context(school):
            queued += outbox_sweep_here()
    return queued


@worker_ready.connect
def _sweep_when_a_worker_starts(**kwargs: Any) -> None:
    # A worker that starts (after an outage, a deploy) sends what waited for it at once, not at
    # the next beat.
    outbox_sweep_task.delay()
