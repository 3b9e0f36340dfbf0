"""Transfers of a child's safeguarding file between two schools of one trust (docs/transfers.md).

Public schema: the transfer names the two schools, the pupil by id in the sending school and by
UPN; never the child's name nor any record. The file itself moves from one school's schema to the
other's in `transfer_accept`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Transfer(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the receiving school"
        ACCEPTED = "accepted", "Received"
        REJECTED = "rejected", "Rejected by the receiving school"

    class Kind(models.TextChoices):
        FILE = "file", "The whole file"
        # What the sending school learnt after the file left: chronology entries recorded since,
        # forwarded the same way (docs/transfers.md, "Later information").
        SUPPLEMENT = "supplement", "Later information"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FILE)
    trust = models.ForeignKey("tenants.Trust", on_delete=models.PROTECT, related_name="+")
    from_school = models.ForeignKey(
        "tenants.School", on_delete=models.PROTECT, related_name="transfers_out"
    )
    to_school = models.ForeignKey(
        "tenants.School", on_delete=models.PROTECT, related_name="transfers_in"
    )
    # The pupil's id in the sending school's schema, and the UPN that finds them in the other.
    pupil_id = models.BigIntegerField()
    upn = models.CharField(max_length=13)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # The day the child moved (or the first day of the new term): KCSIE's 5 school days run
    # from it (docs/transfers.md, "Deadline").
    moved_on = models.DateField()
    due_at = models.DateTimeField()
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejection_reason = models.TextField(blank=True)
    # The receipt: where the file landed and the sending school's chronology chain head when it
    # was copied.
    received_pupil_id = models.BigIntegerField(null=True, blank=True)
    origin_chain_head = models.CharField(max_length=64, blank=True)
    entries_copied = models.PositiveIntegerField(default=0)
    # The highest id of the sending school's chronology entries of the pupil copied so far: a
    # supplement copies the entries after it.
    last_entry_id = models.BigIntegerField(null=True, blank=True)
    documents_copied = models.PositiveIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_school=models.F("to_school")),
                name="transfer_between_two_schools",
            ),
            # One open transfer per pupil of a school at a time.
            models.UniqueConstraint(
                fields=["from_school", "pupil_id"],
                condition=models.Q(status="pending"),
                name="transfer_one_pending_per_pupil",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | ~models.Q(rejection_reason=""),
                name="transfer_rejection_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"transfer {self.pk}"  # never a name: str() ends up in logs


class TransferNotice(models.Model):
    """One email to one DSL or deputy about a transfer: its row is what the outbox sends."""

    class Reason(models.TextChoices):
        STARTED = "started", "A safeguarding file is waiting for your school"
        OVERDUE = "overdue", "A safeguarding file transfer is overdue"

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="notices")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    school = models.ForeignKey("tenants.School", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["transfer", "recipient", "reason"], name="transfer_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"transfer notice {self.pk}"
