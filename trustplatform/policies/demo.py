"""Invented policies for the demo schools: one overdue, one due soon, the rest up to date."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tenants.models import School
from trustplatform.policies.models import (
    DEFAULT_REVIEW_INTERVAL_MONTHS,
    Policy,
    PolicyKind,
    PolicyReview,
)
from trustplatform.policies.services import review_due_after

# (title, kind, owner, days since the last review). 12-month interval: 400 days ago is overdue.
DEMO_POLICIES: tuple[tuple[str, str, str, int], ...] = (
    (
        "Use of the safeguarding records system",
        PolicyKind.RECORDS_SYSTEM,
        "Designated Safeguarding Lead",
        400,
    ),
    ("Child protection and safeguarding", PolicyKind.CHILD_PROTECTION, "Headteacher", 320),
    ("Online safety", PolicyKind.ONLINE_SAFETY, "Computing lead", 120),
    ("Allegations against staff", PolicyKind.ALLEGATIONS, "Headteacher", 45),
)


@transaction.atomic
def seed_demo_policies(school: School, *, today: dt.date | None = None) -> list[Policy]:
    """Creates the demo policies of a school once; a second run leaves them as they are."""
    today = today or timezone.localdate()
    policies = []
    for title, kind, owner, days_ago in DEMO_POLICIES:
        reviewed_on = today - dt.timedelta(days=days_ago)
        next_due = review_due_after(reviewed_on, DEFAULT_REVIEW_INTERVAL_MONTHS)
        policy, created = Policy.objects.get_or_create(
            school=school,
            title=title,
            defaults={
                "kind": kind,
                "owner": owner,
                "approving_body": "Full governing body",
                "last_reviewed_on": reviewed_on,
                "next_review_due": next_due,
                "document_reference": f"Shared drive: Governance/Policies/{title}.pdf",
            },
        )
        if created:
            PolicyReview.objects.create(
                policy=policy,
                reviewed_on=reviewed_on,
                approved_by="Full governing body",
                minutes_reference=f"FGB minutes {reviewed_on:%d %B %Y}, item 4",
                recorded_by_name="Clerk to the governors",
                next_review_due=next_due,
            )
        policies.append(policy)
    return policies
