"""Writes of the outbox: add a message in the caller's transaction, send it, sweep what is late.

Adding is part of the caller's transaction, so the email exists exactly when the record that
needs it does. Sending happens after the commit, by a worker: a broker or mail server that is
down delays the email, never the record (docs/outbox.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.db import school_connection
from trustplatform.celery import app, task_send
from trustplatform.outbox.models import OutboxMessage
from trustplatform.outbox.registry import outbox_kind

logger = logging.getLogger(__name__)

# A claim outlives the slowest send (EMAIL_TIMEOUT per SMTP step) by far; a worker killed while
# sending leaves a claim that lapses after this, and the broker's redelivery of the unacknowledged
# task (or the sweeper) sends the message again.
LEASE = dt.timedelta(minutes=5)


def _lease() -> dt.timedelta:
    # Never longer than the broker's visibility timeout (shortened by the fault tests): the
    # redelivered task must find the killed worker's claim lapsed.
    return min(LEASE, dt.timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT_SECONDS))


# After the broker refused a message, this process stops trying for a while: each try costs the
# broker's connect timeout, and a request must not pay it once per alert. The sweeper catches up.
BROKER_PAUSE_SECONDS = 30.0
_broker_paused_until: dict[str, float] = {}  # by broker URL


def outbox_add(*, kind: str, object_id: int, send_after_commit: bool = True) -> int | None:
    """Adds the email of `kind` about row `object_id` to this transaction; sent after the commit.

    Adding the same email twice is a no-op. If the task cannot be queued after the commit (the
    broker is down), the record stands and the sweeper sends the email later. A caller that is a
    worker already passes `send_after_commit=False` and sends the returned id itself.
    """
    added = outbox_add_many(kind=kind, object_ids=[object_id], send_after_commit=send_after_commit)
    return added[0] if added else None


def outbox_add_many(
    *, kind: str, object_ids: Sequence[int], send_after_commit: bool = True
) -> list[int]:
    """`outbox_add` for several rows of one kind (a concern's alerts): one INSERT and one SELECT
    whatever their number, inside the request that records the concern."""
    outbox_kind(kind)  # an unknown kind fails here, inside the caller's transaction
    if not object_ids:
        return []
    OutboxMessage.objects.bulk_create(
        [OutboxMessage(kind=kind, object_id=object_id) for object_id in object_ids],
        ignore_conflicts=True,
    )
    message_ids = list(
        OutboxMessage.objects.filter(kind=kind, object_id__in=object_ids, sent_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if send_after_commit and message_ids:
        _send_after_commit(message_ids)
    return message_ids


def outbox_add_new(*, kind: str, object_ids: Sequence[int]) -> list[int]:
    """`outbox_add_many` for rows made in this very transaction (a new concern's alerts), which
    can have no email yet: one INSERT returning the messages' ids, sent after the commit."""
    outbox_kind(kind)
    if not object_ids:
        return []
    messages = OutboxMessage.objects.bulk_create(
        [OutboxMessage(kind=kind, object_id=object_id) for object_id in object_ids]
    )
    message_ids = [m.pk for m in messages]
    _send_after_commit(message_ids)
    return message_ids


def _send_after_commit(message_ids: list[int]) -> None:
    # One task for the messages added together: one publish after the commit, not one each.
    # The schema is read now: the callback may run when the connection is in another school's.
    schema = school_connection.schema_name

    def queue() -> None:
        broker = "" if app.conf.task_always_eager else str(app.conf.broker_url)
        if time.monotonic() < _broker_paused_until.get(broker, 0.0):
            logger.warning("outbox %s: not queued (broker down); the sweeper sends it", message_ids)
            return
        with schema_context(schema):
            if not outbox_queue(*message_ids):
                _broker_paused_until[broker] = time.monotonic() + BROKER_PAUSE_SECONDS

    transaction.on_commit(queue)


# The name trustplatform/outbox/tasks.py registers the sending task under.
OUTBOX_SEND_TASK = "outbox.send"


def outbox_queue(*message_ids: int, countdown: float | None = None) -> bool:
    """Hands the messages to a worker, in one task (after `countdown` seconds); False, logged and
    never raised, if the broker is down."""
    try:
        # By name: the task module imports this one. No publish retries: a request must not
        # wait on a dead broker; the sweeper retries.
        task_send(OUTBOX_SEND_TASK, *message_ids, countdown=countdown)
    except Exception as error:
        logger.warning(
            "outbox %s: not queued (%s); the sweeper will send it", message_ids, _error_of(error)
        )
        return False
    return True


def message_id_header(message: OutboxMessage) -> str:
    """The same Message-ID at every attempt, so a resend after a lost reply is one email."""
    schema = school_connection.schema_name
    digest = hashlib.sha256(f"{schema}:{message.kind}:{message.object_id}".encode()).hexdigest()
    return f"<outbox.{digest[:40]}@{settings.BASE_DOMAIN}>"


def _error_of(error: BaseException) -> str:
    # The type and the server's reply code only: a reply's text can quote the message.
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__}{f' {code}' if code else ''}"[:120]


def _backoff(attempts: int) -> dt.timedelta:
    # 1, 2, 4 ... minutes (OUTBOX_RETRY_AFTER_SECONDS) after each failed attempt, at most an hour.
    first = settings.OUTBOX_RETRY_AFTER_SECONDS
    return dt.timedelta(seconds=min(first * 2 ** (attempts - 1), 60 * 60))


def _claim(message_id: int, now: dt.datetime) -> OutboxMessage | None:
    with transaction.atomic():
        # SKIP LOCKED: a row another worker is claiming right now is theirs, not a wait.
        message = _due(now).select_for_update(skip_locked=True).filter(pk=message_id).first()
        if message is None:
            return None
        message.leased_until = now + _lease()
        message.attempts += 1
        message.save(update_fields=["leased_until", "attempts"])
        return message


def _due(now: dt.datetime) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(
        Q(leased_until__isnull=True) | Q(leased_until__lt=now),
        sent_at__isnull=True,
        given_up_at__isnull=True,
        next_attempt_at__lte=now,
    )


def outbox_send(*, message_id: int) -> bool:
    """Sends one due message if this caller can claim it; True when the mail server accepted it.

    Marked sent only after the server accepted: a crash in between sends it again, with the same
    Message-ID. A failure is retried with a growing pause, and after OUTBOX_MAX_ATTEMPTS the
    message is given up and shown as not delivered.
    """
    message = _claim(message_id, timezone.now())
    if message is None:
        return False  # sent already, given up, not due, or being sent by another worker
    kind = outbox_kind(message.kind)
    mine = OutboxMessage.objects.filter(pk=message.pk, leased_until=message.leased_until)
    if message.attempts > settings.OUTBOX_MAX_ATTEMPTS:
        # Every attempt before this one was claimed and never ended, neither sent nor failed:
        # its worker was lost each time (killed while sending). Given up and shown as not
        # delivered, rather than taking a worker each time the sweeper queues it again.
        mine.update(leased_until=None, given_up_at=timezone.now(), last_error="WorkerLost")
        logger.error(
            "outbox %s: given up, its worker was lost at each of %s attempts",
            message.pk,
            message.attempts - 1,
        )
        if kind.on_given_up is not None:
            kind.on_given_up(message.object_id)
        return False
    try:
        email = kind.render(message.object_id)
        if email is not None:
            EmailMessage(
                email.subject,
                email.body,
                settings.DEFAULT_FROM_EMAIL,
                email.to,
                bcc=email.bcc,
                headers={"Message-ID": message_id_header(message)},
            ).send()
    except Exception as error:
        # Any failure, the mail server's or a bug in rendering, counts as an attempt: a message
        # that can never be sent is given up and shown, instead of being retried for ever.
        if _failed(message, mine, error) and kind.on_given_up is not None:
            kind.on_given_up(message.object_id)
        return False
    now = timezone.now()
    mine.update(
        sent_at=now,
        leased_until=None,
        last_error="" if email is not None else "nothing to send",
    )
    if email is not None and kind.on_sent is not None:
        kind.on_sent(message.object_id)
    return email is not None


def _failed(message: OutboxMessage, mine: QuerySet[OutboxMessage], error: BaseException) -> bool:
    """Records the failed attempt; True when it was the last one."""
    now = timezone.now()
    given_up = message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
    mine.update(
        leased_until=None,
        last_error=_error_of(error),
        next_attempt_at=now + _backoff(message.attempts),
        given_up_at=now if given_up else None,
    )
    logger.warning(
        "outbox %s: attempt %s failed (%s)%s",
        message.pk,
        message.attempts,
        _error_of(error),
        "; given up" if given_up else "",
    )
    pause = _backoff(message.attempts)
    if not given_up and pause < dt.timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT_SECONDS):
        # The next attempt is queued for when it is due; a longer pause would outlast the
        # broker's hold on a waiting message, and is left to the sweeper.
        outbox_queue(message.pk, countdown=pause.total_seconds())
    return given_up


def outbox_sweep_here(*, now: dt.datetime | None = None) -> int:
    """Queues again every message of this schema still unsent OUTBOX_SWEEP_AFTER after it was
    added (its task was lost, the broker was down, or a retry is due); returns how many."""
    now = now or timezone.now()
    late = now - dt.timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS)
    ids = list(_due(now).filter(created_at__lte=late).values_list("pk", flat=True)[:500])
    return sum(outbox_queue(message_id) for message_id in ids)
