"""An invoice or credit note as a PDF, written by WeasyPrint from billing/invoice_pdf.html."""

from __future__ import annotations

from django.template.loader import render_to_string

from billing.models import Invoice
from billing.selectors import payee


def invoice_pdf(invoice: Invoice) -> bytes:
    """The PDF of an issued invoice: the trust's billing address and one line per school."""
    # Deferred: WeasyPrint loads Pango through ctypes at import (as the chronology export does).
    from weasyprint import HTML  # noqa: PLC0415

    html = render_to_string(
        "billing/invoice_pdf.html",
        {
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "payee": payee(),
            "address_lines": [
                line.strip() for line in invoice.billing_address.splitlines() if line.strip()
            ],
        },
    )
    pdf = HTML(string=html).write_pdf()
    if pdf is None:  # only when given a target to write to, which is not done here
        raise RuntimeError("WeasyPrint returned no PDF.")
    return pdf
