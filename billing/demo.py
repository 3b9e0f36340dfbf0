"""The demo trust's subscription: an invented price list, billing address and first invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from billing.models import Invoice, PriceBand, Subscription
from billing.services import subscription_create, subscription_term_invoice_issue
from tenants.models import Trust

# An invented price list, as the operator would enter it in the admin.
DEMO_BANDS = (
    ("Up to 99 pupils", 0, Decimal("900.00")),
    ("100 to 299 pupils", 100, Decimal("1500.00")),
    ("300 to 599 pupils", 300, Decimal("2400.00")),
    ("600 pupils or more", 600, Decimal("3600.00")),
)


@transaction.atomic
def seed_demo_billing(*, trust: Trust, today: dt.date) -> Invoice | None:
    """The trust subscribed since the 1 September before `today`, its first term invoiced. Once:
    a trust with a subscription already is left alone."""
    if Subscription.objects.filter(trust=trust).exists():
        return None
    if not PriceBand.objects.exists():
        PriceBand.objects.bulk_create(
            PriceBand(name=name, from_pupils=low, annual_price=price)
            for name, low, price in DEMO_BANDS
        )
    year = today.year if today >= dt.date(today.year, 9, 1) else today.year - 1
    subscription = subscription_create(
        trust=trust,
        starts_on=dt.date(year, 9, 1),
        billing_name=f"{trust.name} finance office",
        billing_address="4 Larkspur Way\nKestrel Vale\nKV1 2AB",
        billing_email="finance@kestrel-vale.example.org",
        discount_percent=Decimal("5.00"),
    )
    # Issued here rather than by the task, so that the demo shows it at once.
    issued = subscription_term_invoice_issue(subscription_id=subscription.pk, today=today)
    return issued[0] if issued else None
