"""What a trust's finance person needs to pay: what is still owed once credit notes are taken
off, and whom to pay by BACS, on the billing pages, the PDF and the reminders."""

from __future__ import annotations

import datetime as dt
import subprocess
from typing import Any

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from billing import services
from billing.models import Invoice, Subscription
from tests.billing.conftest import TERM_START
from tests.conftest import World, school_client
from trustplatform.accounts.models import Role

URLS = "trustplatform.urls_public"
PAYEE = override_settings(
    BILLING_PAYEE_NAME="Safeguarding Records Ltd",
    BILLING_SORT_CODE="00-11-22",
    BILLING_ACCOUNT_NUMBER="12345678",
    BILLING_VAT_NUMBER="GB 123 4567 89",
)
LEAVE = dt.date(2027, 3, 1)


def _invoice_and_credit(world: World, subscription: Subscription) -> tuple[Invoice, Invoice]:
    """The term's invoice, and the credit note of school A leaving on 1 March against it."""
    [invoice] = services.subscription_term_invoice_issue(
        subscription_id=subscription.pk, today=TERM_START
    )
    period = services.subscription_school_remove(
        actor=None, trust=world.trust, school=world.school_a, on=LEAVE
    )
    credit = services.school_left_credit_issue(period_id=period.pk)
    assert credit is not None
    return invoice, credit


def _client(world: World) -> Any:
    return school_client(None, world.person("trust", Role.TRUST_ADMIN))


def test_the_billing_page_shows_what_is_still_to_pay_after_a_credit_note(
    world: World, subscription: Subscription
) -> None:
    invoice, credit = _invoice_and_credit(world, subscription)
    to_pay = invoice.total - credit.total
    assert to_pay > 0
    page = _client(world).get(reverse("billing:home", urlconf=URLS)).content.decode()
    assert ">To pay</th>" in page
    assert f"<td>£{to_pay}</td>" in page


@PAYEE
def test_the_invoice_page_and_pdf_say_how_much_to_pay_to_whom_and_by_when(
    world: World, subscription: Subscription
) -> None:
    invoice, credit = _invoice_and_credit(world, subscription)
    to_pay = invoice.total - credit.total
    client = _client(world)
    page = client.get(reverse("billing:invoice", urlconf=URLS, args=[invoice.pk])).content.decode()
    instruction = (
        f"Please pay £{to_pay} by BACS by 1 October 2026 to Safeguarding Records Ltd, "
        f"sort code 00-11-22, account number 12345678, quoting {invoice.reference}."
    )
    assert instruction in page
    assert f"{credit.reference}</a>: \N{MINUS SIGN}£{credit.total}" in page
    # The term's last day, not the day after it.
    assert "1 September 2026 to 31 August 2027" in page
    pdf = client.get(reverse("billing:invoice_pdf", urlconf=URLS, args=[invoice.pk])).content
    text = " ".join(
        subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
        )
        .stdout.decode()
        .split()
    )
    assert "sort code 00-11-22, account number 12345678" in text
    assert "VAT registration number GB 123 4567 89" in text


def test_without_bank_details_the_invoice_says_whom_to_ask(
    world: World, subscription: Subscription
) -> None:
    invoice, _ = _invoice_and_credit(world, subscription)
    page = _client(world).get(reverse("billing:invoice", urlconf=URLS, args=[invoice.pk]))
    assert "Ask the platform's operator for the bank details." in page.content.decode()


@PAYEE
@pytest.mark.usefixtures("tasks_run_when_sent")
def test_the_overdue_reminder_gives_what_is_still_to_pay_and_the_bank_details(
    world: World, subscription: Subscription, django_capture_on_commit_callbacks: Any
) -> None:
    invoice, credit = _invoice_and_credit(world, subscription)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.invoices_overdue_mark_and_remind(today=invoice.due_on + dt.timedelta(days=14))
    [message] = mail.outbox
    body = " ".join(str(message.body).split())
    assert f"£{invoice.total - credit.total} is still to pay" in body
    assert "to Safeguarding Records Ltd, sort code 00-11-22, account number 12345678" in body
