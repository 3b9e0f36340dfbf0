"""Beat task of the public layer: overdue file transfers escalated once (docs/transfers.md)."""

from __future__ import annotations

from trustplatform.celery import app
from trustplatform.transfers.services import transfers_escalate_overdue


@app.task(name="transfers.escalate_overdue", acks_late=True, soft_time_limit=300, time_limit=360)
def transfers_escalate_overdue_task() -> int:
    """Each overdue transfer is claimed by a conditional UPDATE first, so a second run (beat
    firing twice, a retried task) escalates nothing again."""
    # Transfers are in the public schema: no school's schema is entered.
    return len(transfers_escalate_overdue())
