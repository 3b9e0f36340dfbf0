"""The trust's billing on the trust portal (root domain): its subscription, its invoices with
their PDFs, and adding or removing one of its schools. Trust admins only (billing/permissions.py).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from billing import selectors, services
from billing.pdf import invoice_pdf
from billing.permissions import MANAGE_BILLING, VIEW_BILLING, billing_trust
from billing.pricing import line_amount, term_of, totals
from trustplatform.downloads import written_download
from trustplatform.forms import error_text
from trustplatform.permissions import acting_user, require


@require(VIEW_BILLING)
@require_GET
def billing_home(request: HttpRequest) -> HttpResponse:
    trust = billing_trust(request)
    billing = selectors.trust_billing(trust=trust, today=timezone.localdate())
    return render(request, "billing/home.html", {"trust": trust, "billing": billing})


@require(VIEW_BILLING)
@require_GET
def invoice_detail(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.trust_invoice_get(trust=billing_trust(request), invoice_id=invoice_id)
    return render(request, "billing/invoice.html", {"invoice": invoice, "payee": selectors.payee()})


@require(VIEW_BILLING)
@require_GET
def invoice_download(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.trust_invoice_get(trust=billing_trust(request), invoice_id=invoice_id)
    response = written_download(filename=f"{invoice.reference}.pdf", content_type="application/pdf")
    response.write(invoice_pdf(invoice))
    return response


@require(MANAGE_BILLING)
@require_http_methods(["GET", "POST"])
def school_add(request: HttpRequest, school_id: int) -> HttpResponse:
    trust = billing_trust(request, MANAGE_BILLING)
    school = selectors.trust_school_get(trust=trust, school_id=school_id)
    subscription = selectors.trust_subscription(trust=trust)
    today = timezone.localdate()
    if request.method == "POST":
        try:
            services.subscription_school_add(
                actor=acting_user(request), trust=trust, school=school, on=today
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request,
                f"{school.name} is on the subscription from today. Its invoice for the rest of "
                "the term is issued in a moment, banded by its pupils on roll today.",
            )
        return redirect("billing:home")
    estimate = None
    if subscription is not None and today >= subscription.starts_on:
        term = term_of(starts_on=subscription.starts_on, day=today)
        pupils = school.snapshot.pupils_on_roll if hasattr(school, "snapshot") else 0
        try:
            band = services.band_for(pupils)
        except ValidationError:
            band = None
        if band is not None:
            net = line_amount(
                annual_price=band.annual_price,
                days=(term[1] - today).days,
                term_days=(term[1] - term[0]).days,
                discount_percent=subscription.discount_percent,
            )
            estimate = {"band": band, "pupils": pupils, "term": term, "totals": totals([net])}
    return render(
        request,
        "billing/school_confirm.html",
        {"target_school": school, "adding": True, "estimate": estimate},
    )


@require(MANAGE_BILLING)
@require_http_methods(["GET", "POST"])
def school_remove(request: HttpRequest, school_id: int) -> HttpResponse:
    trust = billing_trust(request, MANAGE_BILLING)
    school = selectors.trust_school_get(trust=trust, school_id=school_id)
    if request.method == "POST":
        try:
            services.subscription_school_remove(
                actor=acting_user(request), trust=trust, school=school, on=timezone.localdate()
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request,
                f"{school.name} is off the subscription from today. A credit note for the rest "
                "of the term is issued in a moment.",
            )
        return redirect("billing:home")
    return render(
        request, "billing/school_confirm.html", {"target_school": school, "adding": False}
    )
