"""Tasks of the public layer: the only code that visits every school, one task per school."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from tenants.selectors import schools_active
from trustplatform.celery import app, task_send

# Registered by safeguarding/tasks.py; queued by name, so the public layer never imports it.
SCHOOL_ESCALATE_TASK = "safeguarding.concerns_escalate"


@app.task(
    name="tenants.escalate_unscreened_concerns", acks_late=True, soft_time_limit=120, time_limit=180
)
def escalate_unscreened_concerns_task() -> int:
    """Beat: asks each active school to escalate its overdue concerns, in its own schema."""
    schools = schools_active()
    for school in schools:
        # Sent inside the school's context: the schema goes in the message header.
        with tenant_context(school):
            task_send(SCHOOL_ESCALATE_TASK)
    return schools.count()


# Registered by safeguarding/tasks.py.
SCHOOL_DRAFTS_EXPIRE_TASK = "safeguarding.drafts_expire"


@app.task(name="tenants.drafts_expire", acks_late=True, soft_time_limit=120, time_limit=180)
def drafts_expire_task() -> int:
    """Beat: asks each active school to delete its drafts past their keeping period."""
    schools = schools_active()
    for school in schools:
        with tenant_context(school):
            task_send(SCHOOL_DRAFTS_EXPIRE_TASK)
    return schools.count()
