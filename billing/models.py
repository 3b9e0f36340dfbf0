"""Plans, price bands, subscriptions and invoices of trusts. Public schema; no child data.

Money is `Decimal` pounds and pence. How a line's amount, an invoice's VAT and a pro-rata charge
are computed is written in docs/billing.md and done in `billing.pricing`; these rows keep the
figures as they were issued. An issued invoice or credit note never changes its amounts (the
database refuses: migration 0002); only its status, and the payment recorded against it, move.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class IssuedInvoiceChange(Exception):
    """An issued invoice's amounts, lines or numbers were about to change: issue a credit note."""


class PriceBand(models.Model):
    """One band of the price list: schools with at least `from_pupils` pupils on roll (up to the
    next band's lower bound) pay `annual_price` a year. Edited by the operator in the admin."""

    name = models.CharField(max_length=60)
    from_pupils = models.PositiveIntegerField(unique=True)
    annual_price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )

    class Meta:
        ordering = ["from_pupils"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(annual_price__gte=0), name="priceband_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (from {self.from_pupils} pupils): £{self.annual_price}"


class Subscription(models.Model):
    """A trust's annual subscription: terms of a year from `starts_on`, each billed in advance."""

    trust = models.OneToOneField(
        "tenants.Trust", on_delete=models.PROTECT, related_name="subscription"
    )
    starts_on = models.DateField(help_text="The first day of the first term.")
    # The term now billed: renewal moves it on by a year (billing.services.subscription_renew).
    term_starts_on = models.DateField()
    discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Trust-wide discount on every line, in per cent.",
    )
    billing_name = models.CharField(max_length=200)
    billing_address = models.TextField(help_text="Postal address, one line per line.")
    billing_email = models.EmailField(help_text="Where invoices and reminders are sent.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["trust__name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="subscription_discount_percent_range",
            ),
            models.CheckConstraint(
                condition=models.Q(term_starts_on__gte=models.F("starts_on")),
                name="subscription_term_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"subscription of trust {self.trust_id}"


class SubscribedSchool(models.Model):
    """A school's time on its trust's subscription: from `joined_on` until `left_on` (exclusive).

    Inserting the row is the claim of the join's invoice line; setting `left_on` the claim of the
    leave's credit note. Each invoice line and credit line points back here.
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="schools")
    school = models.ForeignKey(
        "tenants.School", on_delete=models.PROTECT, related_name="subscription_periods"
    )
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_on", "pk"]
        constraints = [
            # A school is on the subscription once at a time.
            models.UniqueConstraint(
                fields=["school"],
                condition=models.Q(left_on__isnull=True),
                name="subscribedschool_one_open_period",
            ),
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True)
                | models.Q(left_on__gte=models.F("joined_on")),
                name="subscribedschool_leaves_after_joining",
            ),
        ]

    def __str__(self) -> str:
        return f"school {self.school_id} on subscription {self.subscription_id}"


class InvoiceCounter(models.Model):
    """The last number issued in one series. Locked with SELECT ... FOR UPDATE by the issuing
    transaction: a rollback gives the number back, and two issues at once wait for each other,
    so the numbers have no gaps and no duplicates (a PostgreSQL sequence would leave gaps)."""

    series = models.CharField(max_length=20, primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.series} at {self.last_number}"


class Invoice(models.Model):
    """An invoice or a credit note, with the trust's billing details as they were when issued."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    class Status(models.TextChoices):
        ISSUED = "issued", "Issued"
        PAID = "paid", "Paid"
        OVERDUE = "overdue", "Overdue"
        VOID = "void", "Void"

    class Reason(models.TextChoices):
        RENEWAL = "renewal", "Annual renewal"
        SCHOOL_JOINED = "school_joined", "School joined mid-term"
        SCHOOL_LEFT = "school_left", "School left mid-term"
        CORRECTION = "correction", "Correction"
        REISSUE = "reissue", "Re-issue of a voided invoice"

    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="invoices"
    )
    trust = models.ForeignKey("tenants.Trust", on_delete=models.PROTECT, related_name="invoices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ISSUED)
    issued_on = models.DateField()
    due_on = models.DateField()
    term_starts_on = models.DateField()
    term_ends_on = models.DateField(help_text="The day after the term's last day.")
    billing_name = models.CharField(max_length=200)
    billing_address = models.TextField()
    net_total = models.DecimalField(max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    vat = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    # A credit note corrects this invoice (None: a credit for a school that left).
    credits = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes"
    )
    # A voided invoice issued again, corrected (billing.services.invoice_reissue); once each.
    reissue_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reissued_as"
    )
    # The renewal of one term is issued once (unique below).
    renewal_of_term = models.DateField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    payment_reference = models.CharField("BACS reference", max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="invoice_number_unique"),
            models.UniqueConstraint(
                fields=["subscription", "renewal_of_term"],
                condition=models.Q(renewal_of_term__isnull=False),
                name="invoice_one_renewal_per_term",
            ),
            models.CheckConstraint(
                condition=models.Q(total=models.F("net_total") + models.F("vat")),
                name="invoice_total_is_net_plus_vat",
            ),
            models.CheckConstraint(
                condition=models.Q(net_total__gte=0, vat__gte=0), name="invoice_amounts_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(status="paid", paid_on__isnull=False) | ~models.Q(status="paid"),
                name="invoice_paid_has_date",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="invoice_status_due")]

    # What may change after issue: the payment and the status. Anything else is refused here and
    # by the database (migration 0002); a mistake is corrected by a credit note.
    MUTABLE_FIELDS = frozenset({"status", "paid_on", "payment_reference"})

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        fields = kwargs.get("update_fields")
        if not self._state.adding and (fields is None or not set(fields) <= self.MUTABLE_FIELDS):
            raise IssuedInvoiceChange(f"{self.reference} is issued: only its status may change.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise IssuedInvoiceChange(f"{self.reference} is issued: it is never deleted.")

    @property
    def reference(self) -> str:
        prefix = "INV" if self.kind == self.Kind.INVOICE else "CN"
        return f"{prefix}-{self.number:06d}"

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def term_last_day(self) -> dt.date:
        return self.term_ends_on - dt.timedelta(days=1)

    @property
    def is_unpaid(self) -> bool:
        return self.kind == self.Kind.INVOICE and self.status in (
            self.Status.ISSUED,
            self.Status.OVERDUE,
        )

    @property
    def amount_to_pay(self) -> Decimal:
        """What the trust still owes on an unpaid invoice: its total less the credit notes issued
        against it (a school that left, a correction); read from `credited` when the selector
        annotated it."""
        credited = getattr(self, "credited", None)
        if credited is None:
            credited = self.credit_notes.aggregate(s=models.Sum("total"))["s"]
        return max(self.total - (credited or Decimal("0.00")), Decimal("0.00"))

    def days_overdue(self, today: dt.date) -> int:
        return max((today - self.due_on).days, 0)


class InvoiceLine(models.Model):
    """One school on an invoice: its pupil count and band as fixed that day, and the days billed.

    `amount` = annual price x days / days in the term x (1 - discount), rounded half-up to the
    penny once (docs/billing.md).
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    period = models.ForeignKey(
        SubscribedSchool, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    school = models.ForeignKey("tenants.School", on_delete=models.PROTECT, related_name="+")
    school_name = models.CharField(max_length=200)
    pupils = models.PositiveIntegerField(help_text="Pupils on roll the day the band was fixed.")
    band_name = models.CharField(max_length=60)
    annual_price = models.DecimalField(max_digits=12, decimal_places=2)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2)
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="The day after the last day billed.")
    days = models.PositiveIntegerField()
    term_days = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["school_name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(days__lte=models.F("term_days")), name="invoiceline_within_term"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="invoiceline_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"line {self.pk} of invoice {self.invoice_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise IssuedInvoiceChange("The lines of an issued invoice never change.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise IssuedInvoiceChange("The lines of an issued invoice are never deleted.")
