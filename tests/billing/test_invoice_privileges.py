"""The application's database role may not rewrite or remove an issued invoice, whatever the
triggers say: it has SELECT and INSERT on invoices and lines, and UPDATE only of an invoice's
status and payment (docs/billing.md, "Issued invoices never change")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from billing import services
from billing.models import Invoice, Subscription
from tests.billing.conftest import TERM_START

# The columns billing's services change on an issued invoice; every other one is refused.
INVOICE_MOVING_COLUMNS = ["paid_on", "payment_reference", "status"]


def _refused(statement: str) -> str:
    """What the database said refusing `statement` on the application's connection ('' if run)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    except DatabaseError as error:
        return str(error)
    return ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE billing_invoice SET net_total = net_total WHERE false",
        "UPDATE billing_invoice SET total = total, vat = vat WHERE false",
        "UPDATE billing_invoice SET number = number WHERE false",
        "DELETE FROM billing_invoice WHERE false",
        "UPDATE billing_invoiceline SET amount = amount WHERE false",
        "DELETE FROM billing_invoiceline WHERE false",
        "TRUNCATE billing_invoiceline",
    ],
)
def test_the_application_role_may_not_change_amounts_or_delete_invoices(statement: str) -> None:
    assert "permission denied for table billing_invoice" in _refused(statement)


@pytest.mark.django_db
@pytest.mark.parametrize("column", INVOICE_MOVING_COLUMNS)
def test_the_application_role_may_record_a_payment_and_a_status(column: str) -> None:
    statement = f"UPDATE billing_invoice SET {column} = {column} WHERE false"  # noqa: S608
    assert _refused(statement) == ""


def test_the_owner_is_still_refused_by_the_triggers(
    as_owner: None, subscription: Subscription
) -> None:
    [invoice] = services.subscription_term_invoice_issue(
        subscription_id=subscription.pk, today=TERM_START
    )
    for statement in (
        "UPDATE billing_invoice SET net_total = 1, vat = 0, total = 1 WHERE id = %s",
        "UPDATE billing_invoice SET number = number + 100 WHERE id = %s",
        # A column added after the trigger is fixed too.
        "UPDATE billing_invoice SET reissue_of_id = id WHERE id = %s",
        "DELETE FROM billing_invoice WHERE id = %s",
        "UPDATE billing_invoiceline SET amount = 0 WHERE invoice_id = %s",
        "DELETE FROM billing_invoiceline WHERE invoice_id = %s",
    ):
        with pytest.raises(DatabaseError, match="refused"), transaction.atomic():
            connection.cursor().execute(statement, [invoice.pk])
    services.invoice_payment_record(
        actor=None, invoice_id=invoice.pk, reference="BACS 55512", paid_on=dt.date(2026, 9, 20)
    )
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


def test_the_model_and_the_database_agree_on_what_moves() -> None:
    assert sorted(Invoice.MUTABLE_FIELDS) == INVOICE_MOVING_COLUMNS
