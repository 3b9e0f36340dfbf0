"""Tasks of the public layer: the only code that visits every school, one task per school."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django_tenants.utils import tenant_context

from tenants.backups import backups_prune, school_backup_nightly, schools_to_back_up
from tenants.models import School
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


# Registered by safeguarding/tasks.py.
SCHOOL_EXPORTS_EXPIRE_TASK = "safeguarding.exports_expire"


@app.task(name="tenants.exports_expire", acks_late=True, soft_time_limit=120, time_limit=180)
def exports_expire_task() -> int:
    """Beat: asks each active school to delete its export files past EXPORT_RETENTION_DAYS."""
    schools = schools_active()
    for school in schools:
        with tenant_context(school):
            task_send(SCHOOL_EXPORTS_EXPIRE_TASK)
    return schools.count()


@app.task(name="tenants.school_backup", acks_late=True, soft_time_limit=55 * 60, time_limit=60 * 60)
def school_backup_task(school_id: int) -> str:
    """Today's backup of one school (none if it has one already): a large school's dump may take
    far longer than the five minutes other tasks get."""
    school = School.objects.get(pk=school_id)
    folder = school_backup_nightly(school=school, root=Path(settings.BACKUP_ROOT))
    return str(folder or "")


@app.task(
    name="tenants.schools_backup_nightly", acks_late=True, soft_time_limit=120, time_limit=180
)
def schools_backup_nightly_task() -> int:
    """Beat: queues one backup per school, then removes backups past BACKUP_KEEP_DAYS."""
    schools = schools_to_back_up()
    for school in schools:
        school_backup_task.delay(school.pk)
    backups_prune(root=Path(settings.BACKUP_ROOT), keep_days=settings.BACKUP_KEEP_DAYS)
    return len(schools)
