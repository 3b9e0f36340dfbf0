"""Celery tasks of the trust statistics: thin, no arguments but the school in the header."""

from __future__ import annotations

from django.core.cache import cache
from django_tenants.utils import tenant_context

from tenants.db import school_connection
from tenants.selectors import school_by_schema, schools_active
from trustplatform.celery import SchoolTask, app
from trustplatform.statistics.services import (
    SCHOOL_REFRESH_TASK,
    refresh_pending_key,
    school_statistics_refresh,
    schools_due_for_refresh,
    trust_rollups_rewrite_all,
)


@app.task(
    base=SchoolTask,
    name=SCHOOL_REFRESH_TASK,
    acks_late=True,
    soft_time_limit=120,
    time_limit=180,
)
def school_statistics_refresh_task() -> None:
    """Recounts the school the message was sent from; safe to run twice (it replaces rows)."""
    schema = school_connection.schema_name
    # Cleared before counting: a commit made while this counts asks for another refresh.
    cache.delete(refresh_pending_key(schema))
    school = school_by_schema(schema)
    school_statistics_refresh(school=school)


# Sends one task per school: quick whatever the trust's size.
@app.task(name="statistics.rebuild_all", acks_late=True, soft_time_limit=120, time_limit=180)
def statistics_rebuild_all_task() -> int:
    """Beat, nightly: one refresh per active school, each sent from inside its school.

    Each refresh rewrites its trust's aggregate; every trust's is rewritten here too, so a trust
    whose schools are all suspended is repaired as well.
    """
    trust_rollups_rewrite_all()
    schools = list(schools_active())
    for school in schools:
        with tenant_context(school):
            school_statistics_refresh_task.delay()
    return len(schools)


@app.task(name="statistics.refresh_due", acks_late=True, soft_time_limit=120, time_limit=180)
def statistics_refresh_due_task() -> int:
    """Beat, every 15 minutes: refreshes schools whose figures changed by time alone (a concern
    passing 24 hours unscreened, an action passing its due date), which no commit announces."""
    schools = list(schools_due_for_refresh())
    for school in schools:
        with tenant_context(school):
            school_statistics_refresh_task.delay()
    return len(schools)
