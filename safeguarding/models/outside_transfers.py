"""A child's file sent to a school outside the trust, as a package, and the receipt returned."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from safeguarding.models.exports import ExportJob
from safeguarding.models.pupils import Pupil


class OutsideTransfer(models.Model):
    """One sending of the file to a school outside the trust (docs/transfers.md).

    The package is an encrypted PDF made by a worker; its password is shown once to the DSL and
    kept here only as a hash. The receipt page comes back signed; until it is recorded, the
    transfer counts against its deadline of 5 school days from the move.
    """

    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="outside_transfers")
    receiving_school = models.CharField(max_length=200)
    moved_on = models.DateField()
    due_at = models.DateTimeField()
    package = models.OneToOneField(
        ExportJob, on_delete=models.PROTECT, related_name="outside_transfer"
    )
    printable = models.OneToOneField(
        ExportJob, on_delete=models.PROTECT, related_name="outside_transfer_printable"
    )
    # A salted hash (Django's password hasher), so a password read out on the phone can be
    # checked later; the password itself is never stored.
    password_hash = models.CharField(max_length=200)
    started_by_id = models.BigIntegerField()
    started_by_name = models.CharField(max_length=200)
    started_by_role = models.CharField(max_length=30)
    started_at = models.DateTimeField(default=timezone.now)
    sent_on = models.DateField(null=True, blank=True)
    sent_how = models.CharField(max_length=200, blank=True)
    sent_recorded_by_name = models.CharField(max_length=200, blank=True)
    receipt_on = models.DateField(null=True, blank=True)
    receipt_signed_by = models.CharField(max_length=200, blank=True)
    receipt_recorded_by_name = models.CharField(max_length=200, blank=True)
    receipt_recorded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(receipt_on__isnull=True) | ~models.Q(receipt_signed_by=""),
                name="outsidetransfer_receipt_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"outside transfer {self.pk}"  # never a name: str() ends up in logs

    @property
    def is_received(self) -> bool:
        return self.receipt_on is not None
