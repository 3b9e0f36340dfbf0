"""The operator's billing in the admin: the price list, subscriptions, payments and the export.

The price list is data the operator edits; each invoice line keeps the price it was issued at,
so a change applies to invoices issued afterwards. Invoices are read-only here: a payment is
recorded (and an unpaid invoice voided by a credit note) through billing/services.py.
"""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from billing import selectors, services
from billing.forms import ExportForm, PaymentForm
from billing.models import Invoice, InvoiceLine, PriceBand, Subscription
from trustplatform.downloads import written_download
from trustplatform.forms import error_text

# The columns of the accounts export, in the accounts system's order (docs/billing.md).
EXPORT_COLUMNS = [
    "number",
    "type",
    "issued_on",
    "due_on",
    "trust",
    "billing_name",
    "net",
    "vat_rate",
    "vat",
    "total",
    "credits",
    "status",
    "paid_on",
    "bacs_reference",
]


@admin.register(PriceBand)
class PriceBandAdmin(admin.ModelAdmin):
    list_display = ("name", "from_pupils", "annual_price")
    ordering = ("from_pupils",)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("trust", "starts_on", "term_starts_on", "discount_percent", "billing_email")
    fields = (
        "trust",
        "starts_on",
        "discount_percent",
        "billing_name",
        "billing_address",
        "billing_email",
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Subscription | None = None) -> Any:
        # The start fixes every term: it is set once, with the subscription.
        return ("trust", "starts_on") if obj is not None else ()

    def save_model(
        self, request: HttpRequest, obj: Subscription, form: ModelForm, change: bool
    ) -> None:
        if change:
            # Billing details and the discount: they apply to invoices issued from now on.
            super().save_model(request, obj, form, change)
            return
        created = services.subscription_create(
            trust=obj.trust,
            starts_on=obj.starts_on,
            billing_name=obj.billing_name,
            billing_address=obj.billing_address,
            billing_email=obj.billing_email,
            discount_percent=obj.discount_percent,
            actor=request.user,  # type: ignore[arg-type]
        )
        obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Subscription | None = None) -> bool:
        return False


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fields = ("school_name", "pupils", "band_name", "annual_price", "days", "term_days", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ("reference", "kind", "trust", "issued_on", "due_on", "total", "status")
    list_filter = ("kind", "status")
    search_fields = ("=number", "trust__name", "payment_reference")
    ordering = ("-issued_on", "-pk")
    inlines = [InvoiceLineInline]
    change_form_template = "billing/admin/invoice_change_form.html"
    change_list_template = "billing/admin/invoice_change_list.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Invoice | None = None) -> Any:
        return [field.name for field in Invoice._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # Issued invoices never change here: the payment and a void have pages of their own.
    def has_change_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:invoice_id>/payment/",
                self.admin_site.admin_view(self.payment_view),
                name="billing_invoice_payment",
            ),
            path(
                "<int:invoice_id>/void/",
                self.admin_site.admin_view(self.void_view),
                name="billing_invoice_void",
            ),
            path(
                "<int:invoice_id>/reissue/",
                self.admin_site.admin_view(self.reissue_view),
                name="billing_invoice_reissue",
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="billing_invoice_export",
            ),
        ]
        return own + super().get_urls()

    def _context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def payment_view(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        invoice = get_object_or_404(Invoice, pk=invoice_id)
        form = PaymentForm(request.POST or None, initial={"paid_on": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            try:
                services.invoice_payment_record(
                    actor=request.user,  # type: ignore[arg-type]
                    invoice_id=invoice.pk,
                    reference=form.cleaned_data["reference"],
                    paid_on=form.cleaned_data["paid_on"],
                )
            except ValidationError as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(request, f"Payment of {invoice.reference} recorded.")
                return redirect(reverse("admin:billing_invoice_change", args=[invoice.pk]))
        return TemplateResponse(
            request,
            "billing/admin/payment.html",
            self._context(
                request, invoice=invoice, form=form, title=f"Record payment of {invoice}"
            ),
        )

    def void_view(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        invoice = get_object_or_404(Invoice, pk=invoice_id)
        if request.method == "POST":
            try:
                credit = services.invoice_void(
                    actor=request.user,  # type: ignore[arg-type]
                    invoice_id=invoice.pk,
                    today=timezone.localdate(),
                )
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                messages.success(request, f"{invoice} is void; credit note {credit} issued.")
            return redirect(reverse("admin:billing_invoice_change", args=[invoice.pk]))
        return TemplateResponse(
            request,
            "billing/admin/void.html",
            self._context(request, invoice=invoice, title=f"Void {invoice}"),
        )

    def reissue_view(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        # Whoever may void an invoice may issue it again (the operator, with two-factor passed).
        invoice = get_object_or_404(Invoice, pk=invoice_id)
        if request.method == "POST":
            try:
                reissued = services.invoice_reissue(
                    actor=request.user,  # type: ignore[arg-type]
                    invoice_id=invoice.pk,
                    today=timezone.localdate(),
                )
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                messages.success(request, f"{invoice} is re-issued as {reissued}.")
                return redirect(reverse("admin:billing_invoice_change", args=[reissued.pk]))
            return redirect(reverse("admin:billing_invoice_change", args=[invoice.pk]))
        return TemplateResponse(
            request,
            "billing/admin/reissue.html",
            self._context(request, invoice=invoice, title=f"Re-issue {invoice}"),
        )

    def export_view(self, request: HttpRequest) -> HttpResponse:
        form = ExportForm(request.GET or None)
        if not request.GET or not form.is_valid():
            return TemplateResponse(
                request,
                "billing/admin/export.html",
                self._context(request, form=form, title="Export invoices for the accounts"),
            )
        invoices = selectors.invoices_for_accounts(
            issued_from=form.cleaned_data["issued_from"], issued_to=form.cleaned_data["issued_to"]
        )
        response = written_download(filename="invoices.csv", content_type="text/csv")
        invoices_csv_write(response, invoices)
        return response


def invoices_csv_write(out: Any, invoices: QuerySet[Invoice]) -> None:
    """One row per invoice or credit note; a credit note's amounts are negative."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for invoice in invoices.select_related("credits"):
        sign = "-" if invoice.is_credit_note else ""
        writer.writerow(
            [
                invoice.reference,
                invoice.get_kind_display(),
                invoice.issued_on.isoformat(),
                "" if invoice.is_credit_note else invoice.due_on.isoformat(),
                _cell(invoice.trust.name),
                _cell(invoice.billing_name),
                f"{sign}{invoice.net_total}",
                f"{invoice.vat_rate}",
                f"{sign}{invoice.vat}",
                f"{sign}{invoice.total}",
                invoice.credits.reference if invoice.credits else "",
                invoice.get_status_display() if not invoice.is_credit_note else "",
                invoice.paid_on.isoformat() if invoice.paid_on else "",
                _cell(invoice.payment_reference),
            ]
        )


def _cell(text: str) -> str:
    # A spreadsheet runs a cell starting with = + - @ as a formula: quote it as text.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
