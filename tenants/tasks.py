"""Tasks of the public layer: the only code that visits every school, one task per school."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from tenants.models import School
from trustplatform.celery import app


@app.task(
    name="tenants.escalate_unscreened_concerns", acks_late=True, soft_time_limit=120, time_limit=180
)
def escalate_unscreened_concerns_task() -> int:
    """Beat: asks each active school to escalate its overdue concerns, in its own schema."""
    from safeguarding.tasks import concerns_escalate_school_task  # noqa: PLC0415 - app loading

    schools = School.objects.filter(status=School.Status.ACTIVE)
    for school in schools:
        # Sent inside the school's context: the schema goes in the message header.
        with tenant_context(school):
            concerns_escalate_school_task.delay()
    return schools.count()
