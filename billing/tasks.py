"""Celery tasks of billing: thin, by id, each safe to run twice (docs/billing.md, "Tasks").

Billing lives in the public schema: no task enters a school's schema, except to count its pupils
on roll through the statistics rollup.
"""

from __future__ import annotations

from django.utils import timezone

from billing import services
from trustplatform.celery import app


@app.task(name=services.TERM_TASK, acks_late=True, soft_time_limit=240, time_limit=300)
def subscription_term_invoice_task(subscription_id: int) -> int:
    """The invoice of each term due by today; a second run finds the term invoiced."""
    issued = services.subscription_term_invoice_issue(
        subscription_id=subscription_id, today=timezone.localdate()
    )
    return len(issued)


@app.task(name=services.SCHOOL_JOINED_TASK, acks_late=True, soft_time_limit=120, time_limit=180)
def school_joined_invoice_task(period_id: int) -> int | None:
    """The pro-rata invoice of a school that joined; None when it is invoiced already."""
    invoice = services.school_joined_invoice_issue(period_id=period_id)
    return invoice.pk if invoice else None


@app.task(name=services.SCHOOL_LEFT_TASK, acks_late=True, soft_time_limit=120, time_limit=180)
def school_left_credit_task(period_id: int) -> int | None:
    """The pro-rata credit note of a school that left; None when it is credited already."""
    credit = services.school_left_credit_issue(period_id=period_id)
    return credit.pk if credit else None


@app.task(name="billing.renewals", acks_late=True, soft_time_limit=25 * 60, time_limit=30 * 60)
def subscriptions_renew_task() -> int:
    """Nightly: renewals due, and joins or leaves whose task was lost."""
    return services.subscriptions_renew_due(today=timezone.localdate())


@app.task(name="billing.overdue_reminders", acks_late=True, soft_time_limit=240, time_limit=300)
def invoices_overdue_task() -> int:
    """Daily: overdue invoices marked, and their 14- and 30-day reminders added to the outbox."""
    return services.invoices_overdue_mark_and_remind(today=timezone.localdate())
