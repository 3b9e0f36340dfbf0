"""Billing fixtures: a price list and the trust's subscription, made through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction

from billing.models import PriceBand, Subscription
from billing.services import subscription_create
from tenants.db import owner_connection
from tests.conftest import World

# A term of 365 days: 1 September 2026 to 1 September 2027.
TERM_START = dt.date(2026, 9, 1)
BANDS = [("Small", 0, Decimal("1200.00")), ("Medium", 2, Decimal("2400.00"))]


def issued_invoices_delete(subscription_id: int) -> None:
    """Removes a subscription's invoices and their lines, issued ones included, for tests that
    commit them. Issued invoices refuse deletion by trigger, and only the tables' owner may switch
    a trigger off: done as the owner role, in one transaction (the triggers are on again for
    everyone else by the time it commits)."""
    tables = ("billing_invoiceline", "billing_invoice")
    with owner_connection(), transaction.atomic(), connection.cursor() as cursor:
        # Foreign keys checked at once: a deferred check would keep ENABLE TRIGGER from running.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(
            "DELETE FROM billing_invoiceline WHERE invoice_id IN "
            "(SELECT id FROM billing_invoice WHERE subscription_id = %s)",
            [subscription_id],
        )
        cursor.execute("DELETE FROM billing_invoice WHERE subscription_id = %s", [subscription_id])
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def bands_make() -> list[PriceBand]:
    return [
        PriceBand.objects.create(name=name, from_pupils=low, annual_price=price)
        for name, low, price in BANDS
    ]


@pytest.fixture
def bands(db: None) -> list[PriceBand]:
    return bands_make()


@pytest.fixture
def subscription(world: World, bands: list[PriceBand]) -> Subscription:
    """The trust's subscription from TERM_START with schools A and B, 10% discount."""
    return subscription_create(
        trust=world.trust,
        starts_on=TERM_START,
        billing_name="Northwood Learning Trust finance office",
        billing_address="1 Example Road\nNorthwood\nNW1 1AA",
        billing_email="finance@northwood.example.org",
        discount_percent=Decimal("10.00"),
    )
