"""Writes of billing: subscriptions, schools joining and leaving, invoices, credit notes, payments.

Every write is keyword-only and atomic. Invoices are issued by Celery tasks (billing/tasks.py)
that call the `*_issue` services here; each is safe to run twice. Numbers come from a counter
row locked in the issuing transaction (docs/billing.md, "Numbers").
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from billing.models import (
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    PriceBand,
    SubscribedSchool,
    Subscription,
)
from billing.pricing import VAT_STANDARD_RATE, line_amount, term_of, totals
from billing.selectors import payee
from tenants.models import School, Trust
from trustplatform.accounts.models import User
from trustplatform.audit.models import AuditAction
from trustplatform.audit.services import audit_record
from trustplatform.celery import task_send
from trustplatform.outbox.registry import Email, outbox_kind_register
from trustplatform.outbox.services import outbox_add
from trustplatform.statistics.services import school_statistics_refresh

logger = logging.getLogger(__name__)

# Days a trust has to pay an invoice.
PAYMENT_TERMS_DAYS = 30
# Reminders of an unpaid invoice, by days past its due date; each is sent once (docs/billing.md).
REMINDER_DAYS = (14, 30)
REMINDER_KIND = "billing.overdue_{days}"
# Tasks are queued by name: billing/tasks.py imports this module.
SCHOOL_JOINED_TASK = "billing.school_joined_invoice"
SCHOOL_LEFT_TASK = "billing.school_left_credit"
TERM_TASK = "billing.term_invoice"
SERIES = {Invoice.Kind.INVOICE: "invoice", Invoice.Kind.CREDIT_NOTE: "credit_note"}


@dataclass(frozen=True)
class LineDraft:
    period: SubscribedSchool
    pupils: int
    band_name: str
    annual_price: Decimal
    discount_percent: Decimal
    starts_on: dt.date
    ends_on: dt.date
    term_days: int

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days

    @property
    def amount(self) -> Decimal:
        return line_amount(
            annual_price=self.annual_price,
            days=self.days,
            term_days=self.term_days,
            discount_percent=self.discount_percent,
        )


def band_for(pupils: int) -> PriceBand:
    """The band of a school with `pupils` on roll: the highest band starting at or below it."""
    band = PriceBand.objects.filter(from_pupils__lte=pupils).order_by("-from_pupils").first()
    if band is None:
        raise ValidationError(f"No price band covers {pupils} pupils: add one from 0 pupils.")
    return band


def pupils_on_roll_today(school: School) -> int:
    """The school's pupils on roll counted in its schema now (the statistics rollup's count)."""
    with transaction.atomic():
        return school_statistics_refresh(school=school).pupils_on_roll


@transaction.atomic
def invoice_issue(
    *,
    subscription: Subscription,
    kind: Invoice.Kind,
    reason: Invoice.Reason,
    lines: list[LineDraft],
    issued_on: dt.date,
    term: tuple[dt.date, dt.date],
    credits: Invoice | None = None,
    renewal_of_term: dt.date | None = None,
    reissue_of: Invoice | None = None,
) -> Invoice:
    """Numbers and saves an invoice or credit note with its lines; the number is held until the
    outermost transaction commits, and given back if it rolls back."""
    amounts = [line.amount for line in lines]
    net, vat, total = totals(amounts, VAT_STANDARD_RATE)
    series = SERIES[kind]
    # The counter is locked last and held until the commit: two issues at once take the next
    # numbers one after the other, and a rollback gives the number back (no gaps).
    InvoiceCounter.objects.bulk_create([InvoiceCounter(series=series)], ignore_conflicts=True)
    counter = InvoiceCounter.objects.select_for_update().get(series=series)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    invoice = Invoice.objects.create(
        subscription=subscription,
        trust_id=subscription.trust_id,
        kind=kind,
        reason=reason,
        number=counter.last_number,
        issued_on=issued_on,
        due_on=issued_on + dt.timedelta(days=PAYMENT_TERMS_DAYS),
        term_starts_on=term[0],
        term_ends_on=term[1],
        billing_name=subscription.billing_name,
        billing_address=subscription.billing_address,
        net_total=net,
        vat_rate=VAT_STANDARD_RATE,
        vat=vat,
        total=total,
        credits=credits,
        renewal_of_term=renewal_of_term,
        reissue_of=reissue_of,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            period=line.period,
            school_id=line.period.school_id,
            school_name=line.period.school.name,
            pupils=line.pupils,
            band_name=line.band_name,
            annual_price=line.annual_price,
            discount_percent=line.discount_percent,
            starts_on=line.starts_on,
            ends_on=line.ends_on,
            days=line.days,
            term_days=line.term_days,
            amount=amount,
        )
        for line, amount in zip(lines, amounts, strict=True)
    )
    return invoice


def _charge(
    period: SubscribedSchool, *, pupils: int, starts_on: dt.date, term: tuple[dt.date, dt.date]
) -> LineDraft:
    band = band_for(pupils)
    return LineDraft(
        period=period,
        pupils=pupils,
        band_name=band.name,
        annual_price=band.annual_price,
        discount_percent=period.subscription.discount_percent,
        starts_on=starts_on,
        ends_on=term[1],
        term_days=(term[1] - term[0]).days,
    )


# --- subscriptions --------------------------------------------------------------------------


@transaction.atomic
def subscription_create(
    *,
    trust: Trust,
    starts_on: dt.date,
    billing_name: str,
    billing_address: str,
    billing_email: str,
    discount_percent: Decimal = Decimal("0.00"),
    actor: User | None = None,
) -> Subscription:
    """Starts the trust's subscription with every active school on it; the first term's invoice
    is issued by a task after the commit."""
    if Subscription.objects.filter(trust=trust).exists():
        raise ValidationError("This trust has a subscription already.")
    subscription = Subscription.objects.create(
        trust=trust,
        starts_on=starts_on,
        term_starts_on=starts_on,
        billing_name=billing_name,
        billing_address=billing_address,
        billing_email=billing_email,
        discount_percent=discount_percent,
    )
    SubscribedSchool.objects.bulk_create(
        SubscribedSchool(subscription=subscription, school=school, joined_on=starts_on)
        for school in trust.schools.filter(status=School.Status.ACTIVE)
    )
    audit_record(
        action=AuditAction.BILLING_SUBSCRIPTION_STARTED,
        actor=actor,
        trust=trust,
        target_type="subscription",
        target_id=subscription.pk,
    )
    _after_commit(TERM_TASK, subscription.pk)
    return subscription


def _after_commit(task: str, object_id: int) -> None:
    def send() -> None:
        try:
            task_send(task, object_id)
        except Exception as error:
            # The record stands; the nightly run (billing.renewals) issues what is missing.
            logger.warning("billing %s %s: not queued (%s)", task, object_id, type(error).__name__)

    transaction.on_commit(send)


def subscription_term_invoice_issue(*, subscription_id: int, today: dt.date) -> list[Invoice]:
    """Issues every term's invoice due by `today` (at its start, for each school on the
    subscription then, banded by its pupils counted now); renews the subscription. Safe twice:
    one renewal invoice per term (unique constraint), claimed under the subscription's lock."""
    issued: list[Invoice] = []
    while True:
        with transaction.atomic():
            subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
            term = term_of(starts_on=subscription.starts_on, day=subscription.term_starts_on)
            already = subscription.invoices.filter(renewal_of_term=term[0]).exists()
            if already and term[1] > today:
                return issued
            if already:
                # The term has ended: the next one begins, and is billed on the next loop.
                subscription.term_starts_on = term[1]
                subscription.save(update_fields=["term_starts_on"])
                continue
            issued.append(_term_invoice(subscription, term, today))


def _term_invoice(
    subscription: Subscription, term: tuple[dt.date, dt.date], today: dt.date
) -> Invoice:
    periods = list(
        subscription.schools.filter(joined_on__lte=term[0], left_on__isnull=True)
        .select_related("school", "subscription")
        .order_by("school__name")
    )
    lines = [
        _charge(period, pupils=pupils_on_roll_today(period.school), starts_on=term[0], term=term)
        for period in periods
    ]
    return invoice_issue(
        subscription=subscription,
        kind=Invoice.Kind.INVOICE,
        reason=Invoice.Reason.RENEWAL,
        lines=lines,
        issued_on=max(today, term[0]) if today < term[1] else today,
        term=term,
        renewal_of_term=term[0],
    )


def subscriptions_renew_due(*, today: dt.date) -> int:
    """Nightly: every subscription whose term has ended is renewed and invoiced; joins and
    leaves whose task was lost are invoiced too. Returns how many invoices were issued."""
    issued = 0
    for subscription_id in Subscription.objects.values_list("pk", flat=True):
        issued += len(subscription_term_invoice_issue(subscription_id=subscription_id, today=today))
    for period_id in _joins_not_invoiced():
        issued += school_joined_invoice_issue(period_id=period_id) is not None
    for period_id in _leaves_not_credited():
        issued += school_left_credit_issue(period_id=period_id) is not None
    return issued


def _joins_not_invoiced() -> QuerySet[SubscribedSchool, int]:
    # Joined after the subscription began (the first term's invoice bills the others) and never
    # charged: its task was lost, or it joined on a term's first day before that term was billed.
    return (
        SubscribedSchool.objects.filter(joined_on__gt=F("subscription__starts_on"))
        .exclude(invoice_lines__invoice__kind=Invoice.Kind.INVOICE)
        .values_list("pk", flat=True)
    )


def _leaves_not_credited() -> QuerySet[SubscribedSchool, int]:
    return (
        SubscribedSchool.objects.filter(left_on__isnull=False)
        .exclude(invoice_lines__invoice__reason=Invoice.Reason.SCHOOL_LEFT)
        .values_list("pk", flat=True)
    )


# --- schools joining and leaving -----------------------------------------------------------


@transaction.atomic
def subscription_school_add(
    *, actor: User | None, trust: Trust, school: School, on: dt.date
) -> SubscribedSchool:
    """Puts a school of the trust on its subscription from `on`; a task invoices the rest of the
    term pro rata after the commit."""
    subscription = Subscription.objects.select_for_update().filter(trust=trust).first()
    if subscription is None:
        raise ValidationError("This trust has no subscription yet.")
    if school.trust_id != trust.pk:
        raise ValidationError("The school is not one of this trust's.")
    if on < subscription.term_starts_on:
        raise ValidationError("A school joins from today or later.")
    if SubscribedSchool.objects.filter(school=school, left_on__isnull=True).exists():
        raise ValidationError(f"{school.name} is on the subscription already.")
    period = SubscribedSchool.objects.create(subscription=subscription, school=school, joined_on=on)
    audit_record(
        action=AuditAction.BILLING_SCHOOL_ADDED,
        actor=actor,
        school=school,
        target_type="subscribed_school",
        target_id=period.pk,
        data={"joined_on": on.isoformat()},
    )
    _after_commit(SCHOOL_JOINED_TASK, period.pk)
    return period


@transaction.atomic
def subscription_new_school_add(*, actor: User | None, school: School) -> SubscribedSchool | None:
    """Puts a school just created for a trust on the trust's subscription, if it has one: from
    today, or from the subscription's first day when it has not begun (then the first term's
    invoice bills it); audited and invoiced as `subscription_school_add`."""
    subscription = Subscription.objects.filter(trust_id=school.trust_id).first()
    if subscription is None:
        return None
    on = max(timezone.localdate(), subscription.term_starts_on)
    return subscription_school_add(actor=actor, trust=school.trust, school=school, on=on)


@transaction.atomic
def subscription_school_remove(
    *, actor: User | None, trust: Trust, school: School, on: dt.date
) -> SubscribedSchool:
    """Takes a school off the subscription from `on` (its last day is the day before); a task
    issues the pro-rata credit note after the commit."""
    period = (
        SubscribedSchool.objects.select_for_update()
        .filter(school=school, subscription__trust=trust, left_on__isnull=True)
        .first()
    )
    if period is None:
        raise ValidationError(f"{school.name} is not on the subscription.")
    if on < period.joined_on:
        raise ValidationError("A school leaves on or after the day it joined.")
    period.left_on = on
    period.save(update_fields=["left_on"])
    audit_record(
        action=AuditAction.BILLING_SCHOOL_REMOVED,
        actor=actor,
        school=school,
        target_type="subscribed_school",
        target_id=period.pk,
        data={"left_on": on.isoformat()},
    )
    _after_commit(SCHOOL_LEFT_TASK, period.pk)
    return period


def _period_locked(period_id: int) -> SubscribedSchool:
    # The subscription first, as the term's invoice locks it: a school joining on a term's
    # first day is billed by exactly one of the two.
    subscription_id = SubscribedSchool.objects.values_list("subscription_id", flat=True).get(
        pk=period_id
    )
    Subscription.objects.select_for_update().get(pk=subscription_id)
    return (
        SubscribedSchool.objects.select_for_update(of=("self",))
        .select_related("subscription", "school")
        .get(pk=period_id)
    )


@transaction.atomic
def school_joined_invoice_issue(*, period_id: int) -> Invoice | None:
    """The pro-rata invoice of a school that joined mid-term, banded by its pupils counted now;
    None when its join is invoiced already (by this or the term's invoice)."""
    period = _period_locked(period_id)
    if period.invoice_lines.filter(invoice__kind=Invoice.Kind.INVOICE).exists():
        return None
    subscription = period.subscription
    term = term_of(starts_on=subscription.starts_on, day=period.joined_on)
    if (
        period.joined_on == term[0]
        and not subscription.invoices.filter(renewal_of_term=term[0]).exists()
    ):
        return None  # joined on the first day of a term not billed yet: its invoice bills it
    line = _charge(
        period, pupils=pupils_on_roll_today(period.school), starts_on=period.joined_on, term=term
    )
    return invoice_issue(
        subscription=subscription,
        kind=Invoice.Kind.INVOICE,
        reason=Invoice.Reason.SCHOOL_JOINED,
        lines=[line],
        issued_on=max(timezone.localdate(), period.joined_on),
        term=term,
    )


@transaction.atomic
def school_left_credit_issue(*, period_id: int) -> Invoice | None:
    """The pro-rata credit note of a school that left mid-term: the days from its leaving to the
    end of the term, at the price of the line that charged them. None when credited already or
    when nothing was charged for those days."""
    period = _period_locked(period_id)
    if period.left_on is None:
        return None
    if period.invoice_lines.filter(invoice__reason=Invoice.Reason.SCHOOL_LEFT).exists():
        return None
    # The line that charged the days after leaving; one voided already was credited in full.
    charged = (
        period.invoice_lines.filter(
            invoice__kind=Invoice.Kind.INVOICE,
            starts_on__lte=period.left_on,
            ends_on__gt=period.left_on,
        )
        .exclude(invoice__status=Invoice.Status.VOID)
        .select_related("invoice")
        .first()
    )
    if charged is None and school_joined_invoice_issue(period_id=period.pk) is not None:
        # Its join had not been invoiced yet (the task was still queued): now it is.
        charged = (
            period.invoice_lines.filter(invoice__kind=Invoice.Kind.INVOICE)
            .select_related("invoice")
            .last()
        )
    if charged is None or not charged.starts_on <= period.left_on < charged.ends_on:
        return None
    line = LineDraft(
        period=period,
        pupils=charged.pupils,
        band_name=charged.band_name,
        annual_price=charged.annual_price,
        discount_percent=charged.discount_percent,
        starts_on=period.left_on,
        ends_on=charged.ends_on,
        term_days=charged.term_days,
    )
    return invoice_issue(
        subscription=period.subscription,
        kind=Invoice.Kind.CREDIT_NOTE,
        reason=Invoice.Reason.SCHOOL_LEFT,
        lines=[line],
        issued_on=max(timezone.localdate(), period.left_on),
        term=(charged.invoice.term_starts_on, charged.invoice.term_ends_on),
        credits=charged.invoice,
    )


# --- payments, status, corrections --------------------------------------------------------


@transaction.atomic
def invoice_payment_record(
    *, actor: User | None, invoice_id: int, reference: str, paid_on: dt.date
) -> Invoice:
    """The operator records a trust's BACS payment of an invoice."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    if invoice.kind != Invoice.Kind.INVOICE:
        raise ValidationError("A credit note is not paid.")
    if invoice.status not in (Invoice.Status.ISSUED, Invoice.Status.OVERDUE):
        raise ValidationError(f"{invoice.reference} is {invoice.get_status_display().lower()}.")
    reference = reference.strip()
    if not reference:
        raise ValidationError("Enter the BACS reference of the payment.")
    invoice.status = Invoice.Status.PAID
    invoice.paid_on = paid_on
    invoice.payment_reference = reference
    invoice.save(update_fields=["status", "paid_on", "payment_reference"])
    audit_record(
        action=AuditAction.BILLING_PAYMENT_RECORDED,
        actor=actor,
        trust=invoice.trust,
        target_type="invoice",
        target_id=invoice.pk,
        data={"paid_on": paid_on.isoformat()},
    )
    return invoice


def _lines_up_to(invoice: Invoice, ends_by: dict[int, dt.date]) -> list[LineDraft]:
    """The invoice's lines again, each ending by the day `ends_by` gives its school's period (if
    any); a line left with no days is dropped."""
    lines = []
    for line in invoice.lines.select_related("period__school", "period__subscription"):
        ends_on = min(line.ends_on, ends_by.get(line.period_id, line.ends_on))
        if ends_on <= line.starts_on:
            continue
        lines.append(
            LineDraft(
                period=line.period,
                pupils=line.pupils,
                band_name=line.band_name,
                annual_price=line.annual_price,
                discount_percent=line.discount_percent,
                starts_on=line.starts_on,
                ends_on=ends_on,
                term_days=line.term_days,
            )
        )
    return lines


@transaction.atomic
def invoice_void(*, actor: User | None, invoice_id: int, today: dt.date) -> Invoice:
    """Cancels an unpaid invoice: a credit note of every line, and the invoice marked void."""
    invoice = Invoice.objects.select_for_update().select_related("subscription").get(pk=invoice_id)
    if invoice.kind != Invoice.Kind.INVOICE or invoice.status == Invoice.Status.VOID:
        raise ValidationError("Only an issued invoice can be voided.")
    if invoice.status == Invoice.Status.PAID:
        raise ValidationError("A paid invoice is corrected by a credit note, not voided.")
    # Days credited already (a school that left) are not credited twice.
    credited_from: dict[int, dt.date] = {}
    for period_id, starts_on in InvoiceLine.objects.filter(
        invoice__credits=invoice, invoice__kind=Invoice.Kind.CREDIT_NOTE
    ).values_list("period_id", "starts_on"):
        credited_from[period_id] = min(starts_on, credited_from.get(period_id, starts_on))
    lines = _lines_up_to(invoice, credited_from)
    if not lines:
        raise ValidationError(f"{invoice.reference} is credited in full already.")
    credit = invoice_issue(
        subscription=invoice.subscription,
        kind=Invoice.Kind.CREDIT_NOTE,
        reason=Invoice.Reason.CORRECTION,
        lines=lines,
        issued_on=today,
        term=(invoice.term_starts_on, invoice.term_ends_on),
        credits=invoice,
    )
    invoice.status = Invoice.Status.VOID
    invoice.save(update_fields=["status"])
    audit_record(
        action=AuditAction.BILLING_INVOICE_VOIDED,
        actor=actor,
        trust=invoice.trust,
        target_type="invoice",
        target_id=invoice.pk,
        data={"credit_note": credit.pk},
    )
    return credit


@transaction.atomic
def invoice_reissue(*, actor: User | None, invoice_id: int, today: dt.date) -> Invoice:
    """Issues a voided invoice again as a new invoice: a new number, the same term and schools,
    the subscription's billing details as they are now, linked to the voided one; once."""
    invoice = Invoice.objects.select_for_update().select_related("subscription").get(pk=invoice_id)
    if invoice.kind != Invoice.Kind.INVOICE or invoice.status != Invoice.Status.VOID:
        raise ValidationError("Only a voided invoice can be re-issued.")
    again = Invoice.objects.filter(reissue_of=invoice).first()
    if again is not None:
        raise ValidationError(f"{invoice.reference} was re-issued already as {again.reference}.")
    # A school that left since is charged up to the day it left (the void credited the rest).
    left_on = {
        period.pk: period.left_on
        for period in SubscribedSchool.objects.filter(
            invoice_lines__invoice=invoice, left_on__isnull=False
        )
        if period.left_on is not None
    }
    lines = _lines_up_to(invoice, left_on)
    if not lines:
        raise ValidationError(f"Every school of {invoice.reference} has left: nothing to charge.")
    reissued = invoice_issue(
        subscription=invoice.subscription,
        kind=Invoice.Kind.INVOICE,
        reason=Invoice.Reason.REISSUE,
        lines=lines,
        issued_on=today,
        term=(invoice.term_starts_on, invoice.term_ends_on),
        reissue_of=invoice,
    )
    audit_record(
        action=AuditAction.BILLING_INVOICE_REISSUED,
        actor=actor,
        trust=invoice.trust,
        target_type="invoice",
        target_id=reissued.pk,
        data={"reissue_of": invoice.pk},
    )
    return reissued


def invoices_overdue_mark_and_remind(*, today: dt.date) -> int:
    """Daily: unpaid invoices past their due date become overdue; at 14 and 30 days past it a
    reminder is added to the outbox, each once (the outbox's unique kind and id). Returns how
    many reminders were added."""
    with transaction.atomic():
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE, status=Invoice.Status.ISSUED, due_on__lt=today
        ).update(status=Invoice.Status.OVERDUE)
    added = 0
    overdue = Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE,
        status=Invoice.Status.OVERDUE,
        due_on__lte=today - dt.timedelta(days=REMINDER_DAYS[0]),
    )
    for invoice in overdue:
        # The latest reminder due only: an invoice first seen at 31 days gets the 30-day one.
        days = max(d for d in REMINDER_DAYS if invoice.days_overdue(today) >= d)
        kind = REMINDER_KIND.format(days=days)
        with transaction.atomic():
            added += outbox_add(kind=kind, object_id=invoice.pk) is not None
    return added


def _reminder_email(days: int) -> Callable[[int], Email | None]:
    def render(invoice_id: int) -> Email | None:
        invoice = Invoice.objects.filter(pk=invoice_id).select_related("subscription").first()
        if invoice is None or invoice.status != Invoice.Status.OVERDUE:
            return None  # paid or voided since
        bank = payee()
        to = (
            f"to {bank.name}, sort code {bank.sort_code}, account number {bank.account_number}, "
            if bank is not None
            else ""
        )
        return Email(
            subject=f"Invoice {invoice.reference} is {days} days overdue",
            body=(
                f"Invoice {invoice.reference} of {invoice.issued_on:%d %B %Y} for "
                f"£{invoice.total} was due on {invoice.due_on:%d %B %Y} and is now "
                f"{days} days overdue. £{invoice.amount_to_pay} is still to pay"
                " (its total less any credit notes against it).\n\n"
                f"Please pay by BACS {to}quoting {invoice.reference}. If you have paid already, "
                "thank you: payments can take a few days to be recorded.\n\n"
                "The invoice is on the billing page of the trust portal."
            ),
            to=[invoice.subscription.billing_email],
        )

    return render


for _days in REMINDER_DAYS:
    outbox_kind_register(REMINDER_KIND.format(days=_days), render=_reminder_email(_days))
