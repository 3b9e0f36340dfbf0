"""Subscriptions, pro-rata invoices and credit notes, payments and reminders, on real schemas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from billing import services
from billing.models import Invoice, InvoiceLine, IssuedInvoiceChange, Subscription
from tests.billing.conftest import TERM_START
from tests.conftest import World
from tests.safeguarding.fixtures import enrol
from trustplatform.outbox.models import OutboxMessage

JOIN_DAY = dt.date(2027, 1, 15)


def _term_invoice(subscription: Subscription) -> Invoice:
    [invoice] = services.subscription_term_invoice_issue(
        subscription_id=subscription.pk, today=TERM_START
    )
    return invoice


def test_the_first_terms_invoice_bills_every_school_a_full_year_at_its_band(
    world: World, subscription: Subscription
) -> None:
    with schema_context(world.school_b.schema_name):
        enrol(serial=81400)
        enrol(serial=81401)
    invoice = _term_invoice(subscription)
    lines = {line.school_name: line for line in invoice.lines.all()}
    assert set(lines) == {"Alder Lane Primary", "Birchwood Academy"}
    # Birchwood has 2 pupils on roll: Medium (£2,400); Alder Lane none: Small (£1,200). Less 10%.
    assert (lines["Birchwood Academy"].band_name, lines["Birchwood Academy"].pupils) == (
        "Medium",
        2,
    )
    assert lines["Birchwood Academy"].amount == Decimal("2160.00")
    assert lines["Alder Lane Primary"].amount == Decimal("1080.00")
    assert (invoice.net_total, invoice.vat_rate, invoice.vat, invoice.total) == (
        Decimal("3240.00"),
        Decimal("20.00"),
        Decimal("648.00"),
        Decimal("3888.00"),
    )
    assert invoice.reference.startswith("INV-")
    # Run again (beat twice, a retried task): nothing more is issued.
    again = services.subscription_term_invoice_issue(
        subscription_id=subscription.pk, today=TERM_START
    )
    assert again == []


def test_a_school_added_mid_term_is_charged_pro_rata_by_days(
    world: World, subscription: Subscription
) -> None:
    _term_invoice(subscription)
    services.subscription_school_remove(
        actor=None, trust=world.trust, school=world.school_b, on=TERM_START
    )
    services.school_left_credit_issue(period_id=subscription.schools.get(school=world.school_b).pk)
    with time_machine.travel(dt.datetime(2027, 1, 15, 10, tzinfo=dt.UTC), tick=False):
        period = services.subscription_school_add(
            actor=None, trust=world.trust, school=world.school_b, on=JOIN_DAY
        )
        invoice = services.school_joined_invoice_issue(period_id=period.pk)
    assert invoice is not None
    [line] = invoice.lines.all()
    # 15 January to 1 September 2027: 229 of the term's 365 days.
    # £1,200 x 229 / 365 x 90% = £677.589... -> £677.59; VAT 20% = £135.518 -> £135.52.
    assert (line.days, line.term_days) == (229, 365)
    assert (invoice.net_total, invoice.vat, invoice.total) == (
        Decimal("677.59"),
        Decimal("135.52"),
        Decimal("813.11"),
    )
    assert invoice.issued_on == JOIN_DAY
    assert services.school_joined_invoice_issue(period_id=period.pk) is None  # once


def test_a_school_removed_mid_term_gets_a_credit_note_for_the_days_left(
    world: World, subscription: Subscription
) -> None:
    invoice = _term_invoice(subscription)
    leave = dt.date(2027, 3, 1)  # 184 days left of 365
    period = services.subscription_school_remove(
        actor=None, trust=world.trust, school=world.school_a, on=leave
    )
    credit = services.school_left_credit_issue(period_id=period.pk)
    assert credit is not None
    assert credit.kind == Invoice.Kind.CREDIT_NOTE
    assert credit.credits == invoice
    [line] = credit.lines.all()
    # £1,200 x 184 / 365 x 90% = £544.438... -> £544.44
    assert (line.days, line.amount) == (184, Decimal("544.44"))
    assert credit.total == Decimal("653.33")  # + VAT £108.888 -> £108.89
    assert services.school_left_credit_issue(period_id=period.pk) is None  # once


def test_a_school_of_another_trust_or_one_on_the_subscription_is_refused(
    world: World, subscription: Subscription
) -> None:
    with pytest.raises(ValidationError, match="not one of this trust"):
        services.subscription_school_add(
            actor=None, trust=world.trust, school=world.school_c, on=JOIN_DAY
        )
    with pytest.raises(ValidationError, match="on the subscription already"):
        services.subscription_school_add(
            actor=None, trust=world.trust, school=world.school_a, on=JOIN_DAY
        )


def test_a_renewal_bands_each_school_again_from_its_count_that_day(
    world: World, subscription: Subscription
) -> None:
    _term_invoice(subscription)
    with schema_context(world.school_a.schema_name):
        enrol(serial=81402)
        enrol(serial=81403)
    renewal_day = dt.date(2027, 9, 1)
    [renewal] = services.subscription_term_invoice_issue(
        subscription_id=subscription.pk, today=renewal_day
    )
    lines = {line.school_name: line for line in renewal.lines.all()}
    assert lines["Alder Lane Primary"].band_name == "Medium"
    # 2027-09-01 to 2028-09-01 holds 29 February 2028: 366 days, the whole annual price.
    assert lines["Alder Lane Primary"].term_days == 366
    assert lines["Alder Lane Primary"].amount == Decimal("2160.00")
    assert (renewal.term_starts_on, renewal.term_ends_on) == (renewal_day, dt.date(2028, 9, 1))
    subscription.refresh_from_db()
    assert subscription.term_starts_on == renewal_day


def test_an_issued_invoice_refuses_changes_in_the_model_and_in_the_database(
    subscription: Subscription,
) -> None:
    invoice = _term_invoice(subscription)
    invoice.total = Decimal("1.00")
    with pytest.raises(IssuedInvoiceChange):
        invoice.save()
    with pytest.raises(IssuedInvoiceChange):
        invoice.delete()
    with pytest.raises(IssuedInvoiceChange):
        invoice.lines.first().save()  # type: ignore[union-attr]
    for statement in (
        "UPDATE billing_invoice SET net_total = 1, vat = 0, total = 1 WHERE id = %s",
        "UPDATE billing_invoice SET number = number + 100 WHERE id = %s",
        "DELETE FROM billing_invoice WHERE id = %s",
        "UPDATE billing_invoiceline SET amount = 0 WHERE invoice_id = %s",
        "DELETE FROM billing_invoiceline WHERE invoice_id = %s",
    ):
        # The application's role is refused by its privileges (and the owner by the triggers:
        # tests/billing/test_invoice_privileges.py).
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            connection.cursor().execute(statement, [invoice.pk])
    # What may move: its status and the payment.
    paid = services.invoice_payment_record(
        actor=None, invoice_id=invoice.pk, reference="BACS 55512", paid_on=dt.date(2026, 9, 20)
    )
    paid.refresh_from_db()
    assert (paid.status, paid.payment_reference) == (Invoice.Status.PAID, "BACS 55512")


def test_a_line_added_to_an_invoice_issued_earlier_fails_at_the_commit(
    subscription: Subscription,
) -> None:
    invoice = _term_invoice(subscription)
    line = invoice.lines.first()
    assert line is not None
    with pytest.raises(DatabaseError, match="is not the sum of its lines"), transaction.atomic():
        InvoiceLine.objects.create(
            **{
                f.attname: getattr(line, f.attname)
                for f in InvoiceLine._meta.concrete_fields
                if f.attname != "id"
            }
        )
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_voiding_an_unpaid_invoice_issues_a_credit_note_of_every_line(
    subscription: Subscription,
) -> None:
    invoice = _term_invoice(subscription)
    credit = services.invoice_void(actor=None, invoice_id=invoice.pk, today=TERM_START)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID
    assert (credit.kind, credit.credits_id, credit.total) == (
        Invoice.Kind.CREDIT_NOTE,
        invoice.pk,
        invoice.total,
    )
    with pytest.raises(ValidationError):
        services.invoice_payment_record(
            actor=None, invoice_id=invoice.pk, reference="x", paid_on=TERM_START
        )


@pytest.mark.usefixtures("tasks_run_when_sent")
def test_overdue_reminders_go_at_14_and_30_days_each_once_and_stop_once_paid(
    subscription: Subscription, django_capture_on_commit_callbacks: object
) -> None:
    invoice = _term_invoice(subscription)
    due = invoice.due_on

    def run(day: dt.date) -> list[str]:
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            services.invoices_overdue_mark_and_remind(today=day)
        return [str(message.subject) for message in mail.outbox]

    assert run(due) == []
    assert run(due + dt.timedelta(days=1)) == []
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OVERDUE
    assert run(due + dt.timedelta(days=14)) == [f"Invoice {invoice.reference} is 14 days overdue"]
    assert run(due + dt.timedelta(days=15)) == []
    assert run(due + dt.timedelta(days=30)) == [f"Invoice {invoice.reference} is 30 days overdue"]
    assert run(due + dt.timedelta(days=31)) == []
    reminders = OutboxMessage.objects.filter(object_id=invoice.pk, kind__startswith="billing.")
    assert sorted(reminders.values_list("kind", flat=True)) == [
        "billing.overdue_14",
        "billing.overdue_30",
    ]
    assert all(reminder.sent_at is not None for reminder in reminders)
    assert mail.outbox == []


def test_a_paid_invoice_is_never_reminded(subscription: Subscription) -> None:
    invoice = _term_invoice(subscription)
    services.invoice_payment_record(
        actor=None, invoice_id=invoice.pk, reference="BACS 1", paid_on=invoice.due_on
    )
    assert services.invoices_overdue_mark_and_remind(today=invoice.due_on + dt.timedelta(30)) == 0
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


def test_the_nightly_run_invoices_a_join_and_a_leave_whose_tasks_were_lost(
    world: World, subscription: Subscription
) -> None:
    _term_invoice(subscription)
    services.subscription_school_remove(
        actor=None, trust=world.trust, school=world.school_b, on=dt.date(2026, 10, 1)
    )
    services.subscription_school_add(
        actor=None, trust=world.trust, school=world.school_b, on=JOIN_DAY
    )
    # The tasks queued after those commits never ran (the test runs no on_commit callbacks).
    with time_machine.travel(dt.datetime(2027, 1, 16, 4, tzinfo=dt.UTC), tick=False):
        assert services.subscriptions_renew_due(today=dt.date(2027, 1, 16)) == 2
        assert services.subscriptions_renew_due(today=dt.date(2027, 1, 16)) == 0
    reasons = sorted(subscription.invoices.values_list("reason", flat=True))
    assert reasons == ["renewal", "school_joined", "school_left"]


def test_a_school_leaving_after_its_charge_was_voided_is_not_credited_twice(
    world: World, subscription: Subscription
) -> None:
    invoice = _term_invoice(subscription)
    services.invoice_void(actor=None, invoice_id=invoice.pk, today=TERM_START)
    period = services.subscription_school_remove(
        actor=None, trust=world.trust, school=world.school_a, on=dt.date(2027, 3, 1)
    )
    assert services.school_left_credit_issue(period_id=period.pk) is None
