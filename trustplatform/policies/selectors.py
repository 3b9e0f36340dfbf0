"""Reads of the policy register. No child data here: titles, dates and who approved them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from tenants.models import School, Trust
from trustplatform.accounts.models import User
from trustplatform.policies.models import (
    Policy,
    PolicyReminder,
    PolicyStatus,
    ReminderChannel,
)

# How many in-app reminders a page shows, newest first.
REMINDERS_SHOWN = 10


@dataclass(frozen=True)
class PolicyRow:
    policy: Policy
    status: PolicyStatus
    today: dt.date

    @property
    def days_overdue(self) -> int:
        return max(0, (self.today - self.policy.next_review_due).days)


_STATUS_ORDER = {PolicyStatus.OVERDUE: 0, PolicyStatus.DUE_SOON: 1, PolicyStatus.UP_TO_DATE: 2}


def _rows(policies: QuerySet[Policy], today: dt.date) -> list[PolicyRow]:
    rows = [PolicyRow(p, p.status(today), today) for p in policies]
    # Overdue first, then by due date (the earliest is the most urgent in each group).
    rows.sort(key=lambda r: (_STATUS_ORDER[r.status], r.policy.next_review_due, r.policy.title))
    return rows


def policy_register(*, school: School, today: dt.date) -> list[PolicyRow]:
    return _rows(Policy.objects.filter(school=school), today)


def trust_review_dates(*, trust: Trust, today: dt.date) -> list[PolicyRow]:
    """Every policy of every school of the trust, overdue first."""
    return _rows(Policy.objects.filter(school__trust=trust).select_related("school"), today)


def policy_get(*, school: School, policy_id: int) -> Policy:
    """A policy of this school; another school's policy is the same 404 as a missing one."""
    policy = Policy.objects.filter(pk=policy_id, school=school).first()
    if policy is None:
        raise Http404
    return policy


def reminders_in_app(
    *, user: User, school: School | None = None, trust: Trust | None = None
) -> list[PolicyReminder]:
    """The user's latest in-app policy reminders about one school, or about a trust's schools."""
    reminders = PolicyReminder.objects.filter(
        recipient=user, channel=ReminderChannel.IN_APP
    ).select_related("policy__school")
    if school is not None:
        reminders = reminders.filter(policy__school=school)
    if trust is not None:
        reminders = reminders.filter(policy__school__trust=trust)
    return list(reminders.order_by("-claimed_at", "-pk")[:REMINDERS_SHOWN])
