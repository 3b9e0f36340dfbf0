"""Reads of the outbox, in the current schema."""

from __future__ import annotations

from django.db.models import QuerySet

from trustplatform.outbox.models import OutboxMessage


def outbox_undelivered(*, kind: str | None = None) -> QuerySet[OutboxMessage]:
    """Messages (of `kind`, or any) given up after the last attempt: shown as "not delivered"."""
    undelivered = OutboxMessage.objects.filter(given_up_at__isnull=False, sent_at__isnull=True)
    return undelivered if kind is None else undelivered.filter(kind=kind)
