"""One row per email that must reach someone, in the schema of the records it is about."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """An email to send, identified by its kind and the row it is about; never its text.

    The text is rendered from that row at each attempt (trustplatform/outbox/registry.py), so
    nothing a child's record says is copied here, and `last_error` holds only the error's type
    and the mail server's reply code.
    """

    kind = models.CharField(max_length=60)
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker that claimed the row owns it until then; a crashed worker's claim lapses.
    leased_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set after the last allowed attempt failed: shown as "not delivered" until someone acts.
    given_up_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=120, blank=True)

    class Meta:
        constraints = [
            # One email per source row: adding it twice (a retried task) is a no-op.
            models.UniqueConstraint(fields=["kind", "object_id"], name="outbox_once_per_row"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_pending",
                condition=models.Q(sent_at__isnull=True, given_up_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"outbox {self.kind} {self.object_id}"
