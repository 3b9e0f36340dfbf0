"""The trust admin's billing pages and the operator's payments and export, through HTTP."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from billing.models import Invoice, PriceBand, Subscription
from tests.billing.authz_billing import invoice_of_trust
from tests.billing.conftest import TERM_START
from tests.conftest import World, school_client
from tests.safeguarding.fixtures import with_two_factor
from trustplatform.accounts.models import Role, User

URLS = "trustplatform.urls_public"


def _pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


@pytest.mark.parametrize(
    "actor",
    [("a", Role.STAFF), ("a", Role.GOVERNOR), ("a", Role.SCHOOL_ADMIN), ("b", Role.HEADTEACHER)],
)
def test_school_staff_and_governors_cannot_see_the_trusts_invoices(
    world: World, db: None, actor: tuple[str, Role]
) -> None:
    invoice = invoice_of_trust(world)
    client = school_client(None, world.person(*actor))
    for url in (
        reverse("billing:home", urlconf=URLS),
        reverse("billing:invoice", urlconf=URLS, kwargs={"invoice_id": invoice.pk}),
        reverse("billing:invoice_pdf", urlconf=URLS, kwargs={"invoice_id": invoice.pk}),
    ):
        assert client.get(url).status_code == 404


def test_anonymous_and_another_trusts_admin_cannot_download_an_invoice(
    world: World, db: None
) -> None:
    invoice = invoice_of_trust(world)
    url = reverse("billing:invoice_pdf", urlconf=URLS, kwargs={"invoice_id": invoice.pk})
    anonymous = school_client(None).get(url)
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    other = school_client(None, world.person("other_trust", Role.TRUST_ADMIN))
    assert other.get(url).status_code == 404
    # Their own billing page lists none of this trust's invoices.
    page = other.get(reverse("billing:home", urlconf=URLS)).content.decode()
    assert invoice.reference not in page


def test_the_trust_admin_sees_the_invoice_and_its_schools_and_downloads_the_pdf(
    world: World, db: None
) -> None:
    invoice = invoice_of_trust(world)
    client = school_client(None, world.person("trust", Role.TRUST_ADMIN))
    home = client.get(reverse("billing:home", urlconf=URLS)).content.decode()
    assert invoice.reference in home
    assert "Alder Lane Primary, Birchwood Academy" in home
    response = client.get(
        reverse("billing:invoice_pdf", urlconf=URLS, kwargs={"invoice_id": invoice.pk})
    )
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{invoice.reference}.pdf"' in response["Content-Disposition"]
    text = " ".join(_pdf_text(response.content).split())
    for expected in (
        f"Invoice {invoice.reference}",
        "Northwood Learning Trust finance office",
        "NW1 1AA",
        "Alder Lane Primary",
        "Birchwood Academy",
        "£2400.00",  # net: two schools in the Small band, a full year at £1,200
        "£480.00",
        "£2880.00",
    ):
        assert expected in text, expected


def test_the_trust_admin_adds_a_school_and_removes_it_through_the_pages(
    world: World, db: None, django_capture_on_commit_callbacks: object
) -> None:
    invoice_of_trust(world)
    remove = reverse("billing:school_remove", urlconf=URLS, kwargs={"school_id": world.school_b.pk})
    add = reverse("billing:school_add", urlconf=URLS, kwargs={"school_id": world.school_b.pk})
    with time_machine.travel(dt.datetime(2027, 3, 1, 10, tzinfo=dt.UTC), tick=False):
        client = school_client(None, world.person("trust", Role.TRUST_ADMIN))
        with django_capture_on_commit_callbacks(execute=False):  # type: ignore[operator]
            assert client.post(remove).status_code == 302
        page = client.get(add).content.decode()
        # 1 March to 1 September 2027: 184 of 365 days of £1,200 = £604.93; VAT £120.99.
        assert "£604.93 + VAT £120.99 = £725.92" in page
        with django_capture_on_commit_callbacks(execute=False):  # type: ignore[operator]
            assert client.post(add).status_code == 302
    subscription = Subscription.objects.get(trust=world.trust)
    periods = subscription.schools.filter(school=world.school_b).order_by("pk")
    assert [(p.joined_on, p.left_on) for p in periods] == [
        (TERM_START, dt.date(2027, 3, 1)),
        (dt.date(2027, 3, 1), None),
    ]


def test_the_operator_records_a_payment_and_exports_the_invoices_as_csv(
    world: World, db: None
) -> None:
    invoice = invoice_of_trust(world)
    operator = User.objects.create_superuser("operator@example.org", "op-password-long-enough")
    client = school_client(None, with_two_factor(operator))
    page = client.get(reverse("admin:billing_invoice_change", urlconf=URLS, args=[invoice.pk]))
    assert "Record payment" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()  # issued: viewed, never edited
    response = client.post(
        reverse("admin:billing_invoice_payment", urlconf=URLS, args=[invoice.pk]),
        {"reference": "NORTHWOOD 0001", "paid_on": "2026-09-20"},
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_on, invoice.payment_reference) == (
        Invoice.Status.PAID,
        dt.date(2026, 9, 20),
        "NORTHWOOD 0001",
    )
    export = client.get(
        reverse("admin:billing_invoice_export", urlconf=URLS), {"export": "1", "issued_from": ""}
    )
    assert export["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert rows == [
        {
            "number": invoice.reference,
            "type": "Invoice",
            "issued_on": "2026-09-01",
            "due_on": "2026-10-01",
            "trust": "Northwood Learning Trust",
            "billing_name": "Northwood Learning Trust finance office",
            "net": "2400.00",
            "vat_rate": "20.00",
            "vat": "480.00",
            "total": "2880.00",
            "credits": "",
            "status": "Paid",
            "paid_on": "2026-09-20",
            "bacs_reference": "NORTHWOOD 0001",
        }
    ]


def test_the_operator_edits_the_price_list_in_the_admin(world: World, db: None) -> None:
    operator = User.objects.create_superuser("operator@example.org", "op-password-long-enough")
    client = school_client(None, with_two_factor(operator))
    response = client.post(
        reverse("admin:billing_priceband_add", urlconf=URLS),
        {"name": "Large", "from_pupils": "600", "annual_price": "3600.00"},
    )
    assert response.status_code == 302
    assert PriceBand.objects.get(name="Large").annual_price == Decimal("3600.00")
