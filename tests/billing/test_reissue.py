"""A voided invoice issued again as a new invoice: by the service and the operator's admin page,
with its refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from billing import services
from billing.models import Invoice, Subscription
from tests.billing.conftest import TERM_START
from tests.conftest import World, school_client
from tests.safeguarding.fixtures import with_two_factor
from trustplatform.accounts.models import Role, User
from trustplatform.audit.models import AuditAction, AuditEvent

URLS = "trustplatform.urls_public"
REISSUE_DAY = dt.date(2026, 9, 10)


def _voided(subscription: Subscription) -> Invoice:
    [invoice] = services.subscription_term_invoice_issue(
        subscription_id=subscription.pk, today=TERM_START
    )
    services.invoice_void(actor=None, invoice_id=invoice.pk, today=TERM_START)
    invoice.refresh_from_db()
    return invoice


def test_a_voided_invoice_is_reissued_with_a_new_number_for_the_same_term_and_schools(
    subscription: Subscription,
) -> None:
    voided = _voided(subscription)
    subscription.billing_address = "2 Corrected Street\nNorthwood\nNW1 2BB"
    subscription.save(update_fields=["billing_address"])
    operator = User.objects.create_superuser("operator@example.org", "op-password-long-enough")
    again = services.invoice_reissue(actor=operator, invoice_id=voided.pk, today=REISSUE_DAY)
    assert again.number == voided.number + 1
    assert (again.kind, again.reason, again.status) == (
        Invoice.Kind.INVOICE,
        Invoice.Reason.REISSUE,
        Invoice.Status.ISSUED,
    )
    assert again.reissue_of == voided
    assert (again.term_starts_on, again.term_ends_on) == (
        voided.term_starts_on,
        voided.term_ends_on,
    )
    assert (again.net_total, again.vat, again.total) == (voided.net_total, voided.vat, voided.total)
    assert [(line.school_id, line.amount) for line in again.lines.all()] == [
        (line.school_id, line.amount) for line in voided.lines.all()
    ]
    assert (again.issued_on, again.due_on) == (REISSUE_DAY, dt.date(2026, 10, 10))
    assert again.billing_address.startswith("2 Corrected Street")
    event = AuditEvent.objects.get(action=AuditAction.BILLING_INVOICE_REISSUED)
    assert (event.actor_id, event.target_id, event.data) == (
        operator.pk,
        str(again.pk),
        {"reissue_of": voided.pk},
    )


def test_only_a_voided_invoice_is_reissued_and_only_once(subscription: Subscription) -> None:
    [issued] = services.subscription_term_invoice_issue(
        subscription_id=subscription.pk, today=TERM_START
    )
    with pytest.raises(ValidationError, match="Only a voided invoice"):
        services.invoice_reissue(actor=None, invoice_id=issued.pk, today=REISSUE_DAY)
    credit = services.invoice_void(actor=None, invoice_id=issued.pk, today=TERM_START)
    with pytest.raises(ValidationError, match="Only a voided invoice"):
        services.invoice_reissue(actor=None, invoice_id=credit.pk, today=REISSUE_DAY)
    again = services.invoice_reissue(actor=None, invoice_id=issued.pk, today=REISSUE_DAY)
    with pytest.raises(ValidationError, match=f"re-issued already as {again.reference}"):
        services.invoice_reissue(actor=None, invoice_id=issued.pk, today=REISSUE_DAY)
    assert Invoice.objects.filter(reason=Invoice.Reason.REISSUE).count() == 1


def test_a_school_that_left_since_is_charged_up_to_the_day_it_left(
    world: World, subscription: Subscription
) -> None:
    voided = _voided(subscription)
    leave = dt.date(2027, 3, 1)  # 181 days from 1 September 2026
    period = services.subscription_school_remove(
        actor=None, trust=world.trust, school=world.school_a, on=leave
    )
    again = services.invoice_reissue(actor=None, invoice_id=voided.pk, today=REISSUE_DAY)
    line = again.lines.get(school=world.school_a)
    assert (line.starts_on, line.ends_on, line.days) == (TERM_START, leave, 181)
    # Its leave is not credited again: the days after it were never charged.
    assert services.school_left_credit_issue(period_id=period.pk) is None


def test_the_operator_reissues_a_voided_invoice_from_its_admin_page(
    world: World, subscription: Subscription
) -> None:
    voided = _voided(subscription)
    operator = User.objects.create_superuser("operator@example.org", "op-password-long-enough")
    client = school_client(None, with_two_factor(operator))
    change = reverse("admin:billing_invoice_change", urlconf=URLS, args=[voided.pk])
    assert "Re-issue as a new invoice" in client.get(change).content.decode()
    url = reverse("admin:billing_invoice_reissue", urlconf=URLS, args=[voided.pk])
    assert "same term and schools" in client.get(url).content.decode()
    response = client.post(url)
    again = Invoice.objects.get(reissue_of=voided)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/billing/invoice/{again.pk}/change/")
    # Once only: the link is gone and a second post is refused with a message.
    assert "Re-issue as a new invoice" not in client.get(change).content.decode()
    refused = client.post(url, follow=True)
    assert f"re-issued already as {again.reference}" in refused.content.decode()
    assert Invoice.objects.filter(reissue_of=voided).count() == 1
    # The trust's finance person sees which invoice it replaces.
    trust_admin = school_client(None, world.person("trust", Role.TRUST_ADMIN))
    page = trust_admin.get(reverse("billing:invoice", urlconf=URLS, args=[again.pk]))
    assert f"{voided.reference}</a> (void)" in page.content.decode()


@pytest.mark.parametrize(
    "who", ["anonymous", "trust admin", "another trust's admin", "staff without two-factor"]
)
def test_no_one_but_the_operator_may_reissue_an_invoice(
    world: World, subscription: Subscription, who: str
) -> None:
    voided = _voided(subscription)
    if who == "anonymous":
        client = school_client(None)
    elif who == "trust admin":
        client = school_client(None, world.person("trust", Role.TRUST_ADMIN))
    elif who == "another trust's admin":
        client = school_client(None, world.person("other_trust", Role.TRUST_ADMIN))
    else:
        staff = User.objects.create_user(
            "helpdesk@example.org", "help-password-long-enough", is_staff=True
        )
        client = school_client(None)
        client.force_login(staff)
    url = reverse("admin:billing_invoice_reissue", urlconf=URLS, args=[voided.pk])
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 302
        assert "reissue" not in response["Location"].split("?")[0]
    assert not Invoice.objects.filter(reissue_of=voided).exists()


def test_voiding_an_invoice_already_credited_for_a_school_that_left_credits_only_the_rest(
    world: World, subscription: Subscription
) -> None:
    [invoice] = services.subscription_term_invoice_issue(
        subscription_id=subscription.pk, today=TERM_START
    )
    leave = dt.date(2027, 3, 1)
    period = services.subscription_school_remove(
        actor=None, trust=world.trust, school=world.school_a, on=leave
    )
    left = services.school_left_credit_issue(period_id=period.pk)
    assert left is not None
    void = services.invoice_void(actor=None, invoice_id=invoice.pk, today=leave)
    # School A's days after leaving were credited once already: the void credits up to then.
    line = void.lines.get(school=world.school_a)
    assert (line.starts_on, line.ends_on) == (TERM_START, leave)
    credited = left.net_total + void.net_total
    assert abs(credited - invoice.net_total) <= Decimal("0.01")
