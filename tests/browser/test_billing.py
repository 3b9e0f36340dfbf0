"""The trust admin in a real browser adds a school to the subscription mid-term and downloads
the pro-rata invoice, whose figures this test works out by hand."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Browser, expect
from pypdf import PdfReader

from billing import services
from billing.models import Invoice, InvoiceCounter, PriceBand, Subscription
from tests.billing.conftest import TERM_START, issued_invoices_delete
from tests.browser.conftest import PHONE_VIEWPORT, CheckAccessibility, TakeScreenshot
from tests.conftest import World, signed_in_cookie
from trustplatform.accounts.models import Role

pytestmark = pytest.mark.browser

# 15 January 2027, in the term 1 September 2026 to 1 September 2027 (365 days).
JOIN_DAY = dt.datetime(2027, 1, 15, 10, 0, tzinfo=dt.UTC)
# By hand: 15 Jan to 1 Sep 2027 is 17 + 28 + 31 + 30 + 31 + 30 + 31 + 31 = 229 days.
# Small band £1,200 a year, less the trust's 10%: 1200 x 229 / 365 x 0.9 = 677.589... -> £677.59.
# VAT at 20% on the net: 135.518 -> £135.52. Total £813.11.
NET, VAT, TOTAL = "£677.59", "£135.52", "£813.11"


@pytest.fixture
def subscription(
    world: World, django_db_blocker: Any, tasks_run_when_sent: None
) -> Iterator[Subscription]:
    """The trust's subscription since 1 September 2026, committed for the server: Alder Lane on
    it, Birchwood Academy taken off on the first day. Removed again afterwards."""
    with django_db_blocker.unblock():
        counters = dict(InvoiceCounter.objects.values_list("series", "last_number"))
        PriceBand.objects.create(name="Small", from_pupils=0, annual_price=Decimal("1200.00"))
        PriceBand.objects.create(name="Large", from_pupils=600, annual_price=Decimal("3600.00"))
        made = services.subscription_create(
            trust=world.trust,
            starts_on=TERM_START,
            billing_name="Northwood Learning Trust finance office",
            billing_address="1 Example Road\nNorthwood\nNW1 1AA",
            billing_email="finance@northwood.example.org",
            discount_percent=Decimal("10.00"),
        )
        services.subscription_term_invoice_issue(subscription_id=made.pk, today=TERM_START)
        left = services.subscription_school_remove(
            actor=None, trust=world.trust, school=world.school_b, on=TERM_START
        )
        services.school_left_credit_issue(period_id=left.pk)
    yield made
    with django_db_blocker.unblock():
        issued_invoices_delete(made.pk)
        made.schools.all().delete()
        Subscription.objects.filter(pk=made.pk).delete()
        PriceBand.objects.all().delete()
        InvoiceCounter.objects.exclude(series__in=counters).delete()
        for series, number in counters.items():
            InvoiceCounter.objects.filter(series=series).update(last_number=number)


def test_the_trust_admin_adds_a_school_mid_term_and_downloads_its_pro_rata_invoice(  # noqa: PLR0917 - fixtures
    browser: Browser,
    world: World,
    server_url: str,
    subscription: Subscription,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
    django_db_blocker: Any,
) -> None:
    port = server_url.rsplit(":", 1)[1]
    root = f"http://localhost:{port}"
    context = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    page = context.new_page()
    # The server runs in this process: its "today" travels too. The clock ticks on from there.
    with time_machine.travel(JOIN_DAY, tick=True):
        # Signed in past two-factor by a session made as the sign-in makes it: a code typed in
        # the travelled time would be the newest the account has used, and refuse today's.
        with django_db_blocker.unblock():
            cookie = signed_in_cookie(world.person("trust", Role.TRUST_ADMIN), None)  # type: ignore[arg-type]
        name, value = cookie.split("=", 1)
        context.add_cookies([{"name": name, "value": value, "url": root}])
        page.goto(f"{root}/portal/billing/")
        expect(page.get_by_role("heading", name="Billing", exact=True)).to_be_visible()
        check_accessibility(page)
        screenshot(page, "1-billing")

        page.get_by_role("link", name="Add Birchwood Academy").click()
        expect(page.get_by_text(f"{NET} + VAT {VAT} = {TOTAL}")).to_be_visible()
        check_accessibility(page)
        screenshot(page, "2-add-school")
        page.get_by_role("button", name="Add Birchwood Academy").click()
        expect(
            page.get_by_text("Birchwood Academy is on the subscription from today.")
        ).to_be_visible()

        with django_db_blocker.unblock():
            invoice = Invoice.objects.get(
                subscription=subscription, reason=Invoice.Reason.SCHOOL_JOINED
            )
        page.reload()
        row = page.get_by_role("row").filter(has_text=invoice.reference)
        expect(row).to_contain_text("School joined mid-term")
        expect(row).to_contain_text(TOTAL)
        check_accessibility(page)
        screenshot(page, "3-invoice-listed")
        with page.expect_download() as download_info:
            row.get_by_role("link", name=f"Download {invoice.reference}").click()
    assert download_info.value.suggested_filename == f"{invoice.reference}.pdf"
    pdf = PdfReader(io.BytesIO(download_info.value.path().read_bytes()))
    text = " ".join("\n".join(p.extract_text() for p in pdf.pages).split())
    for expected in (
        f"Invoice {invoice.reference}",
        "Issued 15 January 2027",
        "Northwood Learning Trust finance office",
        "1 Example Road",
        "NW1 1AA",
        "Birchwood Academy",
        "229 of 365, from 15 Jan 2027",
        "Net " + NET,
        "VAT at 20% " + VAT,
        "Total " + TOTAL,
    ):
        assert expected in text, expected
    assert "Alder Lane Primary" not in text  # only the school that joined is on this invoice
    context.close()
