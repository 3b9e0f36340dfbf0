"""The arithmetic of billing, with no database: terms, pro-rata amounts, rounding and VAT.

Every rule here is written in docs/billing.md. Amounts are computed exactly (fractions) and
rounded half-up to the penny once: once per invoice line, and once for an invoice's VAT.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

PENNY = Decimal("0.01")
# The UK standard rate of VAT, in per cent; stored on each invoice as it was when issued.
VAT_STANDARD_RATE = Decimal("20.00")


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes 28 February in a year that has none."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def term_of(*, starts_on: dt.date, day: dt.date) -> tuple[dt.date, dt.date]:
    """The term (first day, day after the last) of a subscription starting `starts_on` that
    holds `day`. Terms are counted from the start date, so a 29 February start does not drift."""
    if day < starts_on:
        raise ValueError("the day is before the subscription starts")
    years = day.year - starts_on.year
    start = add_years(starts_on, years)
    if start > day:
        years -= 1
        start = add_years(starts_on, years)
    return start, add_years(starts_on, years + 1)


def round_pence(amount: Fraction | Decimal) -> Decimal:
    """Half-up to the penny (0.005 -> 0.01), the one rounding of a line or a VAT figure."""
    exact = Fraction(amount)
    # Half-up away from zero, as a credit mirrors its charge.
    pence = math.floor(abs(exact) * 100 + Fraction(1, 2))
    return (Decimal(pence if exact >= 0 else -pence) / 100).quantize(PENNY)


def line_amount(
    *, annual_price: Decimal, days: int, term_days: int, discount_percent: Decimal
) -> Decimal:
    """annual price x days / days in the term x (100 - discount) / 100, rounded once.

    The daily price is the annual price over the days of *that* term (365 or 366), so a leap
    year needs no special case, and a whole term costs exactly the annual price.
    """
    if not 0 <= days <= term_days:
        raise ValueError("days must lie within the term")
    exact = (
        Fraction(annual_price)
        * Fraction(days, term_days)
        * (100 - Fraction(discount_percent))
        / 100
    )
    return round_pence(exact)


def vat_of(net_total: Decimal, rate: Decimal = VAT_STANDARD_RATE) -> Decimal:
    """VAT on an invoice's net total, computed once per invoice (not per line)."""
    return round_pence(Fraction(net_total) * Fraction(rate) / 100)


def totals(amounts: Iterable[Decimal], rate: Decimal = VAT_STANDARD_RATE) -> tuple[Decimal, ...]:
    """(net, VAT, total) of an invoice whose lines are `amounts`."""
    net = sum(amounts, Decimal("0.00")).quantize(PENNY)
    vat = vat_of(net, rate)
    return net, vat, net + vat
