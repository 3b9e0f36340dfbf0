"""Beat task of the public layer: policy review reminders for every school."""

from __future__ import annotations

from django.utils import timezone

from trustplatform.celery import app
from trustplatform.policies.services import reminders_send_due


# Each email waits at most EMAIL_TIMEOUT per step; a day of reminders is a few hundred at most.
@app.task(
    name="policies.policy_reminders_send",
    acks_late=True,
    soft_time_limit=25 * 60,
    time_limit=30 * 60,
)
def policy_reminders_send_task() -> int:
    """Daily: each reminder is claimed under a unique constraint first, so a second run (beat
    firing twice, a retried task) finds it claimed and sends nothing."""
    # Policies are in the public schema: no school's schema is entered.
    return reminders_send_due(today=timezone.localdate())
