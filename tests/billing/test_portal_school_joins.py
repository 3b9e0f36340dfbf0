"""A school the trust admin adds in the trust portal joins the trust's subscription that day and
is invoiced for the rest of the term, banded by its pupils on roll (docs/billing.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from billing.models import Invoice, SubscribedSchool, Subscription
from tenants.models import School
from tests.conftest import World, school_client
from trustplatform.accounts.models import Role
from trustplatform.audit.models import AuditAction, AuditEvent

JOIN_DAY = dt.date(2027, 1, 15)
NEW_SCHOOL = {
    "name": "Hazel Grove Primary",
    "slug": "hazelgrove",
    "urn": "900077",
    "phase": "primary",
}


def _create_in_portal(world: World) -> tuple[Any, School]:
    admin = world.person("trust", Role.TRUST_ADMIN)
    client = school_client(None, admin)
    response = client.post(
        reverse("portal:school_create", urlconf="trustplatform.urls_public"), NEW_SCHOOL
    )
    assert response.status_code == 302
    return admin, School.objects.get(slug="hazelgrove")


@pytest.mark.usefixtures("tasks_run_when_sent")
def test_a_school_created_in_the_portal_joins_the_subscription_and_is_invoiced_pro_rata(
    as_owner: None,
    world: World,
    subscription: Subscription,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with (
        time_machine.travel(dt.datetime(2027, 1, 15, 10, tzinfo=dt.UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        admin, school = _create_in_portal(world)
    period = SubscribedSchool.objects.get(school=school)
    assert (period.subscription, period.joined_on, period.left_on) == (subscription, JOIN_DAY, None)
    event = AuditEvent.objects.get(action=AuditAction.BILLING_SCHOOL_ADDED, school_id=school.pk)
    assert event.actor_id == admin.pk
    invoice = Invoice.objects.get(reason=Invoice.Reason.SCHOOL_JOINED, lines__school=school)
    [line] = invoice.lines.all()
    # No pupils on roll yet: the band from 0 pupils, £1,200 a year; 229 of the term's 365 days,
    # 10% discount: £1,200 x 229 / 365 x 90% = £677.589... -> £677.59, VAT £135.52.
    assert (line.pupils, line.band_name, line.days, line.term_days) == (0, "Small", 229, 365)
    assert (invoice.net_total, invoice.total) == (Decimal("677.59"), Decimal("813.11"))


def test_a_school_created_before_the_subscription_starts_joins_from_its_first_day(
    as_owner: None, world: World, subscription: Subscription
) -> None:
    with time_machine.travel(dt.datetime(2026, 8, 20, 10, tzinfo=dt.UTC), tick=False):
        _, school = _create_in_portal(world)
    period = SubscribedSchool.objects.get(school=school)
    # Billed with the others by the first term's invoice, not pro rata.
    assert period.joined_on == subscription.starts_on


def test_a_school_created_for_a_trust_without_a_subscription_is_not_billed(
    as_owner: None, world: World
) -> None:
    _, school = _create_in_portal(world)
    assert not SubscribedSchool.objects.filter(school=school).exists()
