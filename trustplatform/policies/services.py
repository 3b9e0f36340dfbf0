"""Writes of the policy register: policies, completed reviews, and the reminders about them."""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from tenants.addresses import site_url
from tenants.models import School
from trustplatform.accounts.models import Role, SchoolMembership, TrustMembership, User
from trustplatform.audit.models import AuditAction
from trustplatform.audit.services import audit_record
from trustplatform.outbox.registry import Email, outbox_kind_register
from trustplatform.outbox.services import outbox_add, outbox_send
from trustplatform.policies.models import (
    Policy,
    PolicyReminder,
    PolicyReview,
    ReminderChannel,
    reminder_kind_label,
)

logger = logging.getLogger(__name__)

REMINDER_EMAIL = "policies.reminder"

# The school people reminded of every review; the trust safeguarding lead hears of overdue ones.
SCHOOL_RECIPIENT_ROLES = (Role.GOVERNOR, Role.HEADTEACHER, Role.DSL)
# Days before the due date on which a reminder goes out (the issue: 60, 30 and 7 days).
REMINDER_DAYS_BEFORE = (60, 30, 7)
# An email claim still unsent after this long belongs to a worker that died: another run takes
# it over (a conditional UPDATE, so only one does).
EMAIL_CLAIM_LEASE = dt.timedelta(minutes=10)
# No policy document over this size, and only PDFs (checked by their first bytes).
POLICY_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


def review_due_after(reviewed_on: dt.date, interval_months: int) -> dt.date:
    """The next due date: the same day `interval_months` later (31 Jan + 1 month: 28/29 Feb)."""
    months = reviewed_on.year * 12 + reviewed_on.month - 1 + interval_months
    year, month = divmod(months, 12)
    day = min(reviewed_on.day, calendar.monthrange(year, month + 1)[1])
    return dt.date(year, month + 1, day)


def _check_document(document: UploadedFile | None) -> None:
    if document is None:
        return
    if document.size is not None and document.size > POLICY_DOCUMENT_MAX_BYTES:
        raise ValidationError("The document is larger than 10 MB.")
    head = document.read(len(PDF_MAGIC))
    document.seek(0)
    if head != PDF_MAGIC:
        raise ValidationError("The document must be a PDF.")


def _audit(
    action: AuditAction, *, actor: User, policy: Policy, data: dict[str, object] | None = None
) -> None:
    # Ids and dates only: a policy's title is not child data, but the audit log holds no text.
    audit_record(
        action=action,
        actor=actor,
        school=policy.school,
        target_type="policy",
        target_id=policy.pk,
        data=data or {},
    )


@transaction.atomic
def policy_create(
    *,
    actor: User,
    school: School,
    title: str,
    kind: str,
    owner: str,
    approving_body: str,
    review_interval_months: int = 12,
    last_reviewed_on: dt.date | None = None,
    next_review_due: dt.date | None = None,
    document_reference: str = "",
    document: UploadedFile | None = None,
) -> Policy:
    """Adds a policy; without a due date it falls due one interval after its last review."""
    if next_review_due is None:
        if last_reviewed_on is None:
            raise ValidationError("Give the date of the last review or the next review's due date.")
        next_review_due = review_due_after(last_reviewed_on, review_interval_months)
    if Policy.objects.filter(school=school, title=title).exists():
        raise ValidationError("This school already has a policy with this title.")
    _check_document(document)
    policy = Policy(
        school=school,
        title=title,
        kind=kind,
        owner=owner,
        approving_body=approving_body,
        review_interval_months=review_interval_months,
        last_reviewed_on=last_reviewed_on,
        next_review_due=next_review_due,
        document_reference=document_reference,
    )
    policy.full_clean(exclude=["document"])
    if document is not None:
        policy.document.save("policy.pdf", document, save=False)
    policy.save()
    logger.info("policy %s created in school %s by user %s", policy.pk, school.pk, actor.pk)
    _audit(AuditAction.POLICY_CREATED, actor=actor, policy=policy)
    return policy


@transaction.atomic
def policy_update(
    *,
    actor: User,
    policy: Policy,
    title: str,
    kind: str,
    owner: str,
    approving_body: str,
    review_interval_months: int,
    next_review_due: dt.date,
    document_reference: str = "",
    document: UploadedFile | None = None,
) -> Policy:
    """Changes a policy's details; a new due date starts a new series of reminders."""
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    if (
        Policy.objects.filter(school_id=policy.school_id, title=title)
        .exclude(pk=policy.pk)
        .exists()
    ):
        raise ValidationError("This school already has a policy with this title.")
    _check_document(document)
    policy.title = title
    policy.kind = kind
    policy.owner = owner
    policy.approving_body = approving_body
    policy.review_interval_months = review_interval_months
    policy.next_review_due = next_review_due
    policy.document_reference = document_reference
    policy.full_clean(exclude=["document"])
    if document is not None:
        old = policy.document.name
        policy.document.save("policy.pdf", document, save=False)
        if old:
            # Removed only once the new row is committed: a rollback keeps the old file in use.
            storage = policy.document.storage
            transaction.on_commit(lambda: storage.delete(old))
    policy.save()
    logger.info("policy %s updated by user %s", policy.pk, actor.pk)
    _audit(AuditAction.POLICY_UPDATED, actor=actor, policy=policy)
    return policy


@transaction.atomic
def policy_review_record(
    *,
    actor: User,
    policy: Policy,
    reviewed_on: dt.date,
    approved_by: str,
    minutes_reference: str = "",
    today: dt.date | None = None,
) -> PolicyReview:
    """Records a completed review and sets the next due date one interval after it."""
    today = today or timezone.localdate()
    if reviewed_on > today:
        raise ValidationError("A review can be recorded once it has happened, not in advance.")
    # Locked: two people recording reviews at once must not leave the older date as the latest.
    policy = Policy.objects.select_for_update().get(pk=policy.pk)
    if policy.last_reviewed_on is not None and reviewed_on < policy.last_reviewed_on:
        raise ValidationError(
            f"A later review ({policy.last_reviewed_on:%d %B %Y}) is already recorded."
        )
    next_due = review_due_after(reviewed_on, policy.review_interval_months)
    review = PolicyReview.objects.create(
        policy=policy,
        reviewed_on=reviewed_on,
        approved_by=approved_by,
        minutes_reference=minutes_reference,
        recorded_by_id=actor.pk,
        recorded_by_name=actor.full_name,
        next_review_due=next_due,
    )
    policy.last_reviewed_on = reviewed_on
    policy.next_review_due = next_due
    policy.save(update_fields=["last_reviewed_on", "next_review_due", "updated_at"])
    logger.info("review %s of policy %s recorded by user %s", review.pk, policy.pk, actor.pk)
    _audit(
        AuditAction.POLICY_REVIEW_RECORDED,
        actor=actor,
        policy=policy,
        data={"reviewed_on": reviewed_on.isoformat(), "next_review_due": next_due.isoformat()},
    )
    return review


# --- reminders -----------------------------------------------------------------------------


def reminder_kind_on(*, due: dt.date, today: dt.date) -> str | None:
    """The latest reminder a review due on `due` has reached by `today`, or None.

    60, 30 and 7 days before, on the day, then weekly while overdue ("overdue-week-N" on day
    due + 7N). Only the latest is sent: after a missed day (or for a policy added late) people get
    the reminder that applies now, not a backlog of stale ones.
    """
    days_left = (due - today).days
    first, second, last = REMINDER_DAYS_BEFORE
    if days_left > first:
        return None
    if days_left > second:
        return f"{first}d"
    if days_left > last:
        return f"{second}d"
    if days_left > 0:
        return f"{last}d"
    if days_left > -7:
        return "due"
    return f"overdue-week-{-days_left // 7}"


@dataclass(frozen=True)
class _Delivery:
    policy: Policy
    kind: str
    recipient: User
    to_trust_lead: bool


def _recipients(policies: list[Policy]) -> tuple[dict[int, list[User]], dict[int, list[User]]]:
    """Per school id: its governors, headteacher and DSL; per trust id: its safeguarding leads."""
    school_ids = {p.school_id for p in policies}
    trust_ids = {p.school.trust_id for p in policies}
    by_school: dict[int, list[User]] = defaultdict(list)
    for membership in SchoolMembership.objects.filter(
        school_id__in=school_ids, role__in=SCHOOL_RECIPIENT_ROLES, user__is_active=True
    ).select_related("user"):
        by_school[membership.school_id].append(membership.user)
    by_trust: dict[int, list[User]] = defaultdict(list)
    for trust_membership in TrustMembership.objects.filter(
        trust_id__in=trust_ids, role=Role.TRUST_SAFEGUARDING_LEAD, user__is_active=True
    ).select_related("user"):
        by_trust[trust_membership.trust_id].append(trust_membership.user)
    return by_school, by_trust


def _deliveries(today: dt.date) -> Iterable[_Delivery]:
    horizon = today + dt.timedelta(days=REMINDER_DAYS_BEFORE[0])
    policies = list(
        Policy.objects.filter(
            school__status=School.Status.ACTIVE, next_review_due__lte=horizon
        ).select_related("school")
    )
    by_school, by_trust = _recipients(policies)
    for policy in policies:
        kind = reminder_kind_on(due=policy.next_review_due, today=today)
        if kind is None:
            continue
        school_people = by_school.get(policy.school_id, [])
        for user in school_people:
            yield _Delivery(policy, kind, user, to_trust_lead=False)
        if kind.startswith("overdue"):
            seen = {u.pk for u in school_people}
            for user in by_trust.get(policy.school.trust_id, []):
                if user.pk not in seen:
                    yield _Delivery(policy, kind, user, to_trust_lead=True)


def _claim(delivery: _Delivery, channel: str, now: dt.datetime) -> PolicyReminder | None:
    """Inserts the reminder row; None when it exists already (another run claimed it)."""
    try:
        # A savepoint of its own: a conflict must not spoil the caller's transaction, if any.
        with transaction.atomic():
            reminder = PolicyReminder.objects.create(
                policy=delivery.policy,
                due_date=delivery.policy.next_review_due,
                kind=delivery.kind,
                recipient=delivery.recipient,
                channel=channel,
                claimed_at=now,
                # In the app, inserting the row is the delivery.
                sent_at=now if channel == ReminderChannel.IN_APP else None,
            )
            if channel == ReminderChannel.EMAIL:
                # With the claim: an email whose sender dies is sent by the outbox's sweeper.
                outbox_add(kind=REMINDER_EMAIL, object_id=reminder.pk, send_after_commit=False)
            return reminder
    except IntegrityError:
        return None


def reminder_email(reminder: PolicyReminder) -> tuple[str, str]:
    """Subject and body: the policy, the school and the date. Never anything about a child."""
    policy = reminder.policy
    school = policy.school
    is_trust_lead = not SchoolMembership.objects.filter(
        user_id=reminder.recipient_id, school_id=school.pk
    ).exists()
    link = site_url(None, "/portal/policies/") if is_trust_lead else site_url(school, "/policies/")
    label = reminder_kind_label(reminder.kind)
    subject = f"{label}: {policy.title} ({school.name})"
    body = (
        f"{label}.\n\n"
        f"Policy: {policy.title}\n"
        f"School: {school.name}\n"
        f"Review due: {reminder.due_date:%d %B %Y}\n"
        f"Approving body: {policy.approving_body}\n\n"
        f"Once the review is done, record it on the policy register: {link}\n\n"
        "This is a reminder about a school policy; it contains no information about any child."
    )
    return subject, body


def _send_email(reminder: PolicyReminder) -> bool:
    """Sends the reminder's email through the outbox now; a failure is retried by its sweeper."""
    with transaction.atomic():
        message_id = outbox_add(kind=REMINDER_EMAIL, object_id=reminder.pk, send_after_commit=False)
    return message_id is not None and outbox_send(message_id=message_id)


def reminder_outbox_email(reminder_id: int) -> Email | None:
    """The email of one reminder, rendered when it is sent; None once it no longer applies."""
    reminder = (
        PolicyReminder.objects.filter(pk=reminder_id, channel=ReminderChannel.EMAIL)
        .select_related("policy__school", "recipient")
        .first()
    )
    if reminder is None or reminder.policy.next_review_due != reminder.due_date:
        return None  # reviewed meanwhile: the reminder no longer applies
    subject, body = reminder_email(reminder)
    return Email(subject=subject, body=body, to=[reminder.recipient.email])


def _reminder_sent(reminder_id: int) -> None:
    PolicyReminder.objects.filter(pk=reminder_id, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )


outbox_kind_register(REMINDER_EMAIL, render=reminder_outbox_email, on_sent=_reminder_sent)


def _take_over_abandoned_claims(now: dt.datetime) -> int:
    """Emails claimed by a worker that died before sending: one run takes each over and sends."""
    sent = 0
    stale = PolicyReminder.objects.filter(
        channel=ReminderChannel.EMAIL, sent_at__isnull=True, claimed_at__lt=now - EMAIL_CLAIM_LEASE
    ).select_related("policy__school", "recipient")
    for reminder in stale:
        if reminder.policy.next_review_due != reminder.due_date:
            continue  # reviewed meanwhile: the reminder no longer applies
        # The conditional UPDATE is the claim: of two runs, only one matches the old claim time.
        taken = PolicyReminder.objects.filter(
            pk=reminder.pk, sent_at__isnull=True, claimed_at=reminder.claimed_at
        ).update(claimed_at=now)
        if taken and _send_email(reminder):
            sent += 1
    return sent


def reminders_send_due(*, today: dt.date) -> int:
    """Sends every policy reminder due `today`, each exactly once; returns how many were sent.

    Deliberately not one transaction: each claim commits on its own before its email goes, so a
    concurrent run sees it (and waits on, then skips, a claim being inserted), and a worker dying
    after sending cannot roll the record of what it sent back.
    """
    now = timezone.now()
    sent = _take_over_abandoned_claims(now)
    deliveries = list(_deliveries(today))
    already = set(
        PolicyReminder.objects.filter(
            policy_id__in={d.policy.pk for d in deliveries},
            due_date__in={d.policy.next_review_due for d in deliveries},
        ).values_list("policy_id", "due_date", "kind", "recipient_id", "channel")
    )
    for delivery in deliveries:
        for channel in (ReminderChannel.IN_APP, ReminderChannel.EMAIL):
            key = (
                delivery.policy.pk,
                delivery.policy.next_review_due,
                delivery.kind,
                delivery.recipient.pk,
                channel.value,
            )
            if key in already:
                continue  # the unique constraint would refuse it anyway; this saves the round trip
            reminder = _claim(delivery, channel, now)
            if reminder is None:
                continue
            if channel == ReminderChannel.IN_APP or _send_email(reminder):
                sent += 1
    return sent
