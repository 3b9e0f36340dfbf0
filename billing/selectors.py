"""Reads of billing for a trust: its subscription, its invoices and the schools on each.

Every read is scoped to one trust; another trust's invoice is "missing" (the same 404), never
"forbidden". No child data: schools' names and pupil counts only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import DecimalField, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from billing.models import Invoice, InvoiceLine, SubscribedSchool, Subscription
from billing.pricing import term_of
from tenants.models import School, Trust


@dataclass(frozen=True)
class Payee:
    """Whom trusts pay by BACS (settings BILLING_*; docs/billing.md, "Paying")."""

    name: str
    sort_code: str
    account_number: str
    vat_number: str


def payee() -> Payee | None:
    """The operator's bank details, or None when they are not configured."""
    if not settings.BILLING_PAYEE_NAME:
        return None
    return Payee(
        name=settings.BILLING_PAYEE_NAME,
        sort_code=settings.BILLING_SORT_CODE,
        account_number=settings.BILLING_ACCOUNT_NUMBER,
        vat_number=settings.BILLING_VAT_NUMBER,
    )


@dataclass(frozen=True)
class SchoolOnSubscription:
    school: School
    period: SubscribedSchool | None  # None: not on the subscription now


@dataclass(frozen=True)
class TrustBilling:
    subscription: Subscription | None
    term: tuple[dt.date, dt.date] | None
    schools: list[SchoolOnSubscription]
    invoices: list[Invoice]


def trust_subscription(*, trust: Trust) -> Subscription | None:
    return Subscription.objects.filter(trust=trust).first()


def trust_billing(*, trust: Trust, today: dt.date) -> TrustBilling:
    """The trust's billing page: its subscription's term, each school and every invoice."""
    subscription = trust_subscription(trust=trust)
    open_periods = {
        period.school_id: period
        for period in SubscribedSchool.objects.filter(
            subscription__trust=trust, left_on__isnull=True
        )
    }
    schools = [
        SchoolOnSubscription(school=school, period=open_periods.get(school.pk))
        for school in trust.schools.order_by("name")
    ]
    term = None
    if subscription is not None and today >= subscription.starts_on:
        term = term_of(starts_on=subscription.starts_on, day=today)
    return TrustBilling(
        subscription=subscription,
        term=term,
        schools=schools,
        invoices=list(trust_invoices(trust=trust)),
    )


def trust_invoices(*, trust: Trust) -> QuerySet[Invoice]:
    """The trust's invoices and credit notes, each with its lines, what was credited against it
    (`credited`, for `Invoice.amount_to_pay`) and its credit notes."""
    credited = (
        Invoice.objects.filter(credits=OuterRef("pk"))
        .values("credits")
        .annotate(sum=Sum("total"))
        .values("sum")
    )
    return (
        Invoice.objects.filter(trust=trust)
        .select_related("credits", "reissue_of")
        .annotate(
            credited=Coalesce(
                Subquery(credited, output_field=DecimalField(max_digits=12, decimal_places=2)),
                Value(Decimal("0.00")),
            )
        )
        .prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.order_by("school_name", "pk")),
            Prefetch("credit_notes", queryset=Invoice.objects.order_by("number")),
        )
    )


def trust_invoice_get(*, trust: Trust, invoice_id: int) -> Invoice:
    """One invoice of the trust with its lines; another trust's is the same 404 as none."""
    invoice = trust_invoices(trust=trust).filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404
    return invoice


def trust_school_get(*, trust: Trust, school_id: int) -> School:
    school = trust.schools.filter(pk=school_id).first()
    if school is None:
        raise Http404
    return school


def invoices_for_accounts(
    *, issued_from: dt.date | None = None, issued_to: dt.date | None = None
) -> QuerySet[Invoice]:
    """Every invoice and credit note, oldest first, for the operator's accounts export."""
    invoices = Invoice.objects.select_related("trust").order_by("issued_on", "kind", "number")
    if issued_from is not None:
        invoices = invoices.filter(issued_on__gte=issued_from)
    if issued_to is not None:
        invoices = invoices.filter(issued_on__lte=issued_to)
    return invoices
