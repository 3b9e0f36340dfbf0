"""Celery tasks of a school: thin, ids only, safe to run twice. Tasks call services; services
send tasks by name (safeguarding/queueing.py) and never import this module.

Ids only: docs/rules.md, "No side channels".
"""

from __future__ import annotations

from celery import Task

from safeguarding.models import Alert
from safeguarding.services.alerts import ALERT_EMAIL
from safeguarding.services.allegations import allegations_escalate_overdue
from safeguarding.services.concerns import concerns_escalate_overdue
from safeguarding.services.drafts import drafts_expire
from safeguarding.services.exports import EXPORT_TIME_LIMIT, export_render
from safeguarding.services.outside_transfers import outside_transfers_escalate_overdue
from safeguarding.services.retention import exports_expire
from tenants.db import school_connection
from tenants.models import School
from trustplatform.celery import SchoolTask, app
from trustplatform.outbox.models import OutboxMessage
from trustplatform.outbox.services import outbox_send


@app.task(
    base=SchoolTask,
    name="safeguarding.concern_alert_emails",
    acks_late=True,
    soft_time_limit=120,
    time_limit=180,
)
def concern_alert_emails_task(concern_id: int) -> int:
    """Sends each due alert email of the concern from the outbox; returns how many went.

    Each email is claimed before it goes (trustplatform/outbox/services.py), so a second run
    sends nothing.
    """
    alert_ids = Alert.objects.filter(concern_id=concern_id).values("pk")
    message_ids = OutboxMessage.objects.filter(
        kind=ALERT_EMAIL, object_id__in=alert_ids
    ).values_list("pk", flat=True)
    return sum(outbox_send(message_id=message_id) for message_id in message_ids)


@app.task(
    base=SchoolTask,
    name="safeguarding.concerns_escalate",
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
)
def concerns_escalate_school_task() -> int:
    school = School.objects.get(schema_name=school_connection.schema_name)
    # Concerns not screened in time, allegations not reported to the LADO in time, and files
    # sent outside the trust whose receipt is not back in time.
    return (
        len(concerns_escalate_overdue(school=school))
        + len(allegations_escalate_overdue(school=school))
        + len(outside_transfers_escalate_overdue(school=school))
    )


@app.task(
    base=SchoolTask,
    name="safeguarding.chronology_export",
    bind=True,
    acks_late=True,
    # A long chronology takes minutes to draw; a PDF that takes a quarter of an hour is stuck.
    soft_time_limit=int(EXPORT_TIME_LIMIT.total_seconds()) - 60,
    time_limit=int(EXPORT_TIME_LIMIT.total_seconds()),
)
def chronology_export_task(self: Task, job_id: int) -> bool:
    """Makes the PDF of a queued chronology export; a second run finds the job claimed, unless
    it is this message's own run again (its worker's child died)."""
    return export_render(job_id=job_id, run_id=str(self.request.id or ""))


@app.task(
    base=SchoolTask,
    name="safeguarding.drafts_expire",
    acks_late=True,
    soft_time_limit=60,
    time_limit=120,
)
def drafts_expire_school_task() -> int:
    """Deletes this school's drafts older than DRAFT_KEEP_DAYS (docs/security.md, "Drafts");
    a second run finds nothing left to delete."""
    return drafts_expire()


@app.task(
    base=SchoolTask,
    name="safeguarding.exports_expire",
    acks_late=True,
    soft_time_limit=60,
    time_limit=120,
)
def exports_expire_school_task() -> int:
    """Deletes this school's export files older than EXPORT_RETENTION_DAYS and marks the exports
    expired (docs/rules.md, "Retention"); a second run finds nothing left to expire."""
    return exports_expire()
