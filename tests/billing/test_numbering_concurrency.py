"""Invoice numbers under concurrency: twenty issues at once from twenty connections, and issues
rolled back, leave consecutive numbers with no gap and no duplicate (docs/billing.md, "Numbers").

The rows must be committed for other connections to see them and to wait on the counter's lock,
so this module writes outside the test transaction and removes what it wrote afterwards.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections, transaction

from billing.models import Invoice, InvoiceCounter, Subscription
from billing.services import invoice_issue
from tenants.models import Trust
from tenants.services import trust_create
from tests.billing.conftest import issued_invoices_delete

ISSUERS = 20
DAY = dt.date(2026, 9, 1)
TERM = (DAY, dt.date(2027, 9, 1))


class RolledBack(Exception):
    pass


@pytest.fixture
def subscription(django_db_setup: None, django_db_blocker: Any) -> Iterator[Subscription]:
    with django_db_blocker.unblock():
        trust = trust_create(name="Numbering Test Trust", slug="numbering-test")
        # Made directly: no schools, no audit event, no task; only a subscription to issue on.
        made = Subscription.objects.create(
            trust=trust,
            starts_on=DAY,
            term_starts_on=DAY,
            billing_name="Numbering Test Trust",
            billing_address="1 Example Road",
            billing_email="finance@numbering.example.org",
        )
        InvoiceCounter.objects.get_or_create(series="invoice")
        before = InvoiceCounter.objects.get(series="invoice").last_number
    yield made
    with django_db_blocker.unblock():
        connections.close_all()
        issued_invoices_delete(made.pk)
        InvoiceCounter.objects.filter(series="invoice").update(last_number=before)
        Subscription.objects.filter(pk=made.pk).delete()
        Trust.objects.filter(pk=made.trust_id).delete()


def _issue(subscription: Subscription) -> Invoice:
    return invoice_issue(
        subscription=subscription,
        kind=Invoice.Kind.INVOICE,
        reason=Invoice.Reason.CORRECTION,
        lines=[],
        issued_on=DAY,
        term=TERM,
    )


def _numbers(subscription: Subscription) -> list[int]:
    return sorted(
        Invoice.objects.filter(subscription=subscription).values_list("number", flat=True)
    )


def test_twenty_invoices_issued_at_once_get_twenty_consecutive_numbers(
    subscription: Subscription, django_db_blocker: Any
) -> None:
    start = threading.Barrier(ISSUERS + 1)
    errors: list[BaseException] = []

    def issuer(roll_back: bool) -> None:
        try:
            start.wait(timeout=60)
            with transaction.atomic():
                _issue(subscription)
                if roll_back:
                    # Holding the counter's lock while the others wait on it, then giving the
                    # number back.
                    raise RolledBack
        except RolledBack:
            pass
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()  # each thread's own connection

    with django_db_blocker.unblock():
        base = InvoiceCounter.objects.get(series="invoice").last_number
        threads = [threading.Thread(target=issuer, args=(n == 7,)) for n in range(ISSUERS + 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
        assert not any(thread.is_alive() for thread in threads)
        assert _numbers(subscription) == list(range(base + 1, base + ISSUERS + 1))
        assert InvoiceCounter.objects.get(series="invoice").last_number == base + ISSUERS


def test_an_issue_rolled_back_in_the_middle_leaves_no_gap(
    subscription: Subscription, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock():
        first = _issue(subscription)
        with pytest.raises(RolledBack), transaction.atomic():
            _issue(subscription)
            raise RolledBack
        third = _issue(subscription)
        assert third.number == first.number + 1
        assert _numbers(subscription) == [first.number, first.number + 1]
