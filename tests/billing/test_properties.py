"""Properties of the billing arithmetic (hypothesis): totals to the penny, pro-rata amounts never
above the annual price, and a year of joins and leaves billed exactly by the day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import services
from billing.models import Invoice, InvoiceLine, PriceBand, Subscription
from billing.pricing import VAT_STANDARD_RATE, add_years, line_amount, round_pence, term_of, totals
from tenants.models import School
from tests.billing.conftest import BANDS, TERM_START
from tests.conftest import World

pounds = st.decimals(
    min_value=Decimal("0.00"), max_value=Decimal("100000.00"), places=2, allow_nan=False
)
discounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)
starts = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2040, 12, 31))


@settings(max_examples=500, deadline=None)
@given(st.lists(pounds, max_size=30), st.sampled_from([Decimal("20.00"), Decimal("5.00")]))
def test_an_invoice_total_is_the_sum_of_its_lines_plus_vat_to_the_penny(
    amounts: list[Decimal], rate: Decimal
) -> None:
    net, vat, total = totals(amounts, rate)
    assert net == sum(amounts, Decimal("0.00"))
    # VAT is computed once on the net total, rounded half-up: never more than half a penny out.
    assert abs(Fraction(vat) - Fraction(net) * Fraction(rate) / 100) <= Fraction(1, 200)
    assert total == net + vat
    assert total.as_tuple().exponent == -2


@settings(max_examples=1000, deadline=None)
@given(
    pounds,
    discounts,
    starts,
    st.integers(min_value=0, max_value=366),
    st.integers(min_value=0, max_value=366),
)
def test_pro_rata_charges_and_credits_never_exceed_the_annual_price(
    annual: Decimal, discount: Decimal, start: dt.date, join_after: int, leave_after: int
) -> None:
    term = (start, add_years(start, 1))
    term_days = (term[1] - term[0]).days
    join = min(join_after, term_days)
    leave = min(max(leave_after, join), term_days)

    def amount(days: int) -> Decimal:
        return line_amount(
            annual_price=annual, days=days, term_days=term_days, discount_percent=discount
        )

    charge = amount(term_days - join)
    credit = amount(term_days - leave)
    assert Decimal("0.00") <= credit <= charge <= annual
    assert amount(term_days) == round_pence(Fraction(annual) * (100 - Fraction(discount)) / 100)
    assert term_of(starts_on=start, day=start + dt.timedelta(days=join % term_days)) == term


def _events(draw: st.DrawFn, term_days: int) -> list[int]:
    """Sorted distinct days of the term on which a school, on the subscription from its first
    day, alternately leaves and joins again."""
    days = draw(
        st.lists(st.integers(min_value=1, max_value=term_days - 1), max_size=6, unique=True)
    )
    return sorted(days)


@st.composite
def years_of_changes(draw: st.DrawFn) -> tuple[Decimal, list[int], list[int]]:
    term_days = 365
    discount = draw(st.sampled_from([Decimal("0"), Decimal("10.00"), Decimal("12.50")]))
    return discount, _events(draw, term_days), _events(draw, term_days)


class Undo(Exception):
    pass


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(years_of_changes())
def test_a_year_of_joins_and_leaves_bills_each_school_by_the_day_within_a_penny_a_line(
    world: World, db: None, changes: tuple[Decimal, list[int], list[int]]
) -> None:
    discount, days_a, days_b = changes
    try:
        with transaction.atomic():
            _year_checked(world, discount, {world.school_a: days_a, world.school_b: days_b})
            raise Undo
    except Undo:
        pass


def _year_checked(world: World, discount: Decimal, changes: dict[School, list[int]]) -> None:
    for name, low, price in BANDS:
        PriceBand.objects.create(name=name, from_pupils=low, annual_price=price)
    subscription = services.subscription_create(
        trust=world.trust,
        starts_on=TERM_START,
        billing_name="Finance",
        billing_address="1 Example Road",
        billing_email="finance@northwood.example.org",
        discount_percent=discount,
    )
    services.subscription_term_invoice_issue(subscription_id=subscription.pk, today=TERM_START)
    term = (TERM_START, add_years(TERM_START, 1))
    events = sorted(
        ((TERM_START + dt.timedelta(days=day), index, school.pk), school)
        for school, days in changes.items()
        for index, day in enumerate(days)
    )
    for (on, index, _), school in events:
        if index % 2 == 0:  # the school's first change is leaving, then joining, ...
            period = services.subscription_school_remove(
                actor=None, trust=world.trust, school=school, on=on
            )
            services.school_left_credit_issue(period_id=period.pk)
        else:
            period = services.subscription_school_add(
                actor=None, trust=world.trust, school=school, on=on
            )
            services.school_joined_invoice_issue(period_id=period.pk)

    term_days = (term[1] - term[0]).days
    expected = Fraction(0)
    for period in Subscription.objects.get(pk=subscription.pk).schools.all():
        days = ((period.left_on or term[1]) - period.joined_on).days
        # The price its band had when it was charged (its pupils counted that day).
        charge = period.invoice_lines.get(invoice__kind=Invoice.Kind.INVOICE)
        annual = Fraction(charge.annual_price)
        expected += annual * days / term_days * (100 - Fraction(discount)) / 100

    lines = InvoiceLine.objects.filter(invoice__subscription=subscription)
    charged = sum(Fraction(line.amount) for line in lines if line.invoice.kind == "invoice")
    credited = sum(Fraction(line.amount) for line in lines if line.invoice.kind == "credit_note")
    assert abs(charged - credited - expected) <= Fraction(lines.count(), 100)
    for invoice in Invoice.objects.filter(subscription=subscription):
        assert invoice.net_total == sum(line.amount for line in invoice.lines.all())
        assert invoice.vat_rate == VAT_STANDARD_RATE
        assert invoice.total == invoice.net_total + invoice.vat
