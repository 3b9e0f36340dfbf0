"""Reads of billing for a trust: its subscription, its invoices and the schools on each.

Every read is scoped to one trust; another trust's invoice is "missing" (the same 404), never
"forbidden". No child data: schools' names and pupil counts only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from billing.models import Invoice, InvoiceLine, SubscribedSchool, Subscription
from billing.pricing import term_of
from tenants.models import School, Trust


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
    return Invoice.objects.filter(trust=trust).prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.order_by("school_name", "pk"))
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
