"""Who may open the trust's billing pages (merged into test_authorization_matrix.py).

Only the trust's own admin: its safeguarding lead, trustees, a school's DSL and the operator (in
the admin instead) are refused; another trust's admin gets the same 404 as for a missing invoice
or school. School staff and governors on the root domain: tests/billing/test_views.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from billing.models import Invoice
from tests.authz import Row, actors
from tests.billing.conftest import TERM_START, bands_make
from tests.conftest import World

TRUST_ADMIN = actors("trust:trust_admin")


def invoice_of_trust(world: World) -> Invoice:
    """An issued invoice of `trust` (schools A and B for a year), made through the services."""
    from billing import services  # noqa: PLC0415 - beside the rows, imported by the matrix

    bands_make()
    subscription = services.subscription_create(
        trust=world.trust,
        starts_on=TERM_START,
        billing_name="Northwood Learning Trust finance office",
        billing_address="1 Example Road\nNorthwood\nNW1 1AA",
        billing_email="finance@northwood.example.org",
    )
    [invoice] = services.subscription_term_invoice_issue(
        subscription_id=subscription.pk, today=TERM_START
    )
    return invoice


def _invoice(world: World) -> Mapping[str, object]:
    return {"invoice_id": invoice_of_trust(world).pk}


def _school_b(world: World) -> Mapping[str, object]:
    return {"school_id": world.school_b.pk}


ROOT_ROWS: dict[str, Row] = {
    # Each trust's admin sees their own trust's billing page.
    "billing:home": Row(allowed=actors("trust:trust_admin", "other_trust:trust_admin")),
    "billing:invoice": Row(allowed=TRUST_ADMIN, kwargs=_invoice),
    "billing:invoice_pdf": Row(allowed=TRUST_ADMIN, kwargs=_invoice),
    # GET: the confirmation step; the POSTs are tested in tests/billing/test_views.py.
    "billing:school_add": Row(allowed=TRUST_ADMIN, kwargs=_school_b),
    "billing:school_remove": Row(allowed=TRUST_ADMIN, kwargs=_school_b),
}
