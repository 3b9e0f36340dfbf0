"""Queueing an export job's render for the worker, once the caller's transaction commits.

Its own module so that the services that make jobs (chronology exports, transfer packages,
subject access responses) queue them the same way without importing each other.
"""

from __future__ import annotations

import logging

from django.utils import timezone
from kombu.exceptions import OperationalError

from safeguarding.models import ExportJob, SubjectAccessRequest
from safeguarding.queueing import CHRONOLOGY_EXPORT, task_send
from trustplatform.celery import on_commit_in_this_school

logger = logging.getLogger(__name__)


def export_queue_on_commit(job: ExportJob) -> None:
    """Queues the job's render once the caller's transaction commits (for callers that make a
    job with `export_job_create` inside a larger transaction)."""
    on_commit_in_this_school(lambda: _enqueue(job.pk))


def _enqueue(job_id: int) -> None:
    try:
        # Only the id: the school travels in the message header (safeguarding/queueing.py).
        task_send(CHRONOLOGY_EXPORT, job_id)
    except OperationalError:
        logger.warning("Export job %s could not be queued: the broker is unreachable.", job_id)
        failed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
            status=ExportJob.Status.FAILED,
            error="Could not be queued. Please ask for the export again.",
            finished_at=timezone.now(),
            sealed_password="",
        )
        if failed:
            release_reopen(job_id=job_id)


def release_reopen(*, job_id: int) -> None:
    """A subject access response whose PDF was not made (not queued, or failed): its request
    opens again, to be released once more (docs/rules.md, "Subject access")."""
    SubjectAccessRequest.objects.filter(
        release_job_id=job_id, status=SubjectAccessRequest.Status.RELEASING
    ).update(
        status=SubjectAccessRequest.Status.OPEN,
        released_by_id=None,
        released_by_name="",
        released_by_role="",
        released_to="",
    )
