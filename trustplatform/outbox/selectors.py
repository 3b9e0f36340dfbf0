"""Reads of the outbox, in the current schema."""

from __future__ import annotations

from django.db.models import QuerySet

from trustplatform.outbox.models import OutboxMessage


def outbox_undelivered(*, kind: str) -> QuerySet[OutboxMessage]:
    """Messages of `kind` given up after the last attempt: shown as "not delivered"."""
    return OutboxMessage.objects.filter(kind=kind, given_up_at__isnull=False, sent_at__isnull=True)
