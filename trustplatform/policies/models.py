"""Each school's policies, their reviews and the reminders sent about them. Public schema.

Policies are governance, not child data: they sit beside the schools in the public schema, where
the trust portal can read every school's review dates without entering a school's schema.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models

from trustplatform.policies.storage import policy_document_storage

# Policies are reviewed at least annually by the governing body (docs/rules.md, "Policy reviews").
DEFAULT_REVIEW_INTERVAL_MONTHS = 12
# A policy due within this many days is shown as "due soon" (docs/rules.md, "Policy reviews").
DUE_SOON_DAYS = 60


class PolicyKind(models.TextChoices):
    CHILD_PROTECTION = "child_protection", "Child protection and safeguarding"
    RECORDS_SYSTEM = "records_system", "Use of the safeguarding records system"
    ONLINE_SAFETY = "online_safety", "Online safety"
    STAFF_CONDUCT = "staff_conduct", "Staff code of conduct"
    ALLEGATIONS = "allegations", "Allegations against staff"
    WHISTLEBLOWING = "whistleblowing", "Whistleblowing"
    BEHAVIOUR = "behaviour", "Behaviour"
    OTHER = "other", "Other"


class PolicyStatus(models.TextChoices):
    UP_TO_DATE = "up_to_date", "Up to date"
    DUE_SOON = "due_soon", f"Due within {DUE_SOON_DAYS} days"
    OVERDUE = "overdue", "Overdue"


def policy_status(next_review_due: dt.date, today: dt.date) -> PolicyStatus:
    """Overdue the day after the due date; due soon from 60 days before it, the due day included."""
    if next_review_due < today:
        return PolicyStatus.OVERDUE
    if next_review_due <= today + dt.timedelta(days=DUE_SOON_DAYS):
        return PolicyStatus.DUE_SOON
    return PolicyStatus.UP_TO_DATE


def _document_path(instance: Policy, filename: str) -> str:
    # The uploaded name is never used: it could say anything, and paths must not be guessable
    # from a title. One folder per school.
    return f"school_{instance.school_id}/{uuid.uuid4().hex}.pdf"


class Policy(models.Model):
    school = models.ForeignKey("tenants.School", on_delete=models.CASCADE, related_name="policies")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=PolicyKind.choices)
    owner = models.CharField(max_length=200, help_text="Who keeps this policy up to date.")
    approving_body = models.CharField(
        max_length=200, default="Full governing body", help_text="Who approves each review."
    )
    review_interval_months = models.PositiveSmallIntegerField(
        default=DEFAULT_REVIEW_INTERVAL_MONTHS
    )
    last_reviewed_on = models.DateField(null=True, blank=True)
    next_review_due = models.DateField()
    # Where the approved text lives (a shared-drive path, a web page, a version number).
    document_reference = models.CharField(max_length=300, blank=True)
    # Optionally, the approved PDF itself: private storage, served only through the register.
    document = models.FileField(
        upload_to=_document_path, storage=policy_document_storage, blank=True, max_length=200
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["next_review_due", "title"]
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(fields=["school", "title"], name="policy_title_per_school"),
            models.CheckConstraint(
                condition=models.Q(review_interval_months__gte=1, review_interval_months__lte=36),
                name="policy_interval_sensible",
            ),
        ]
        indexes = [models.Index(fields=["school", "next_review_due"], name="policy_school_due")]

    def __str__(self) -> str:
        return self.title

    def status(self, today: dt.date) -> PolicyStatus:
        return policy_status(self.next_review_due, today)


class PolicyReview(models.Model):
    """A completed review, as minuted by the approving body. Append-only in the services."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="reviews")
    reviewed_on = models.DateField()
    approved_by = models.CharField(max_length=200)
    minutes_reference = models.CharField(max_length=200, blank=True)
    # Plain id and name at the time: the history stays readable if the account goes.
    recorded_by_id = models.BigIntegerField(null=True, blank=True)
    recorded_by_name = models.CharField(max_length=200, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    next_review_due = models.DateField()

    class Meta:
        ordering = ["-reviewed_on", "-recorded_at"]

    def __str__(self) -> str:
        return f"review of policy {self.policy_id} on {self.reviewed_on}"


class ReminderChannel(models.TextChoices):
    EMAIL = "email", "Email"
    IN_APP = "in_app", "In the app"


class PolicyReminder(models.Model):
    """One reminder to one person by one channel. The row is the claim: inserted before sending,
    under a unique constraint, so a second beat run or a second worker can never send it again.

    An in-app reminder is delivered by being inserted. An email is claimed (sent_at empty), sent,
    then marked; a claim left unsent by a worker that died is taken over after a lease.
    """

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="reminders")
    due_date = models.DateField()
    # "60d", "30d", "7d", "due", "overdue-week-N".
    kind = models.CharField(max_length=30)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="policy_reminders"
    )
    channel = models.CharField(max_length=10, choices=ReminderChannel.choices)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "due_date", "kind", "recipient", "channel"],
                name="policy_reminder_once",
            )
        ]
        indexes = [
            models.Index(fields=["recipient", "channel", "-claimed_at"], name="reminder_inbox"),
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(sent_at__isnull=True),
                name="reminder_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder of policy {self.policy_id} to {self.recipient_id}"

    @property
    def is_overdue(self) -> bool:
        return self.kind.startswith("overdue")

    @property
    def kind_label(self) -> str:
        return reminder_kind_label(self.kind)


def reminder_kind_label(kind: str) -> str:
    if kind == "due":
        return "Review due today"
    if kind.startswith("overdue-week-"):
        weeks = int(kind.removeprefix("overdue-week-"))
        return f"Review overdue by {weeks} week{'s' if weeks != 1 else ''}"
    return f"Review due in {kind.removesuffix('d')} days"
