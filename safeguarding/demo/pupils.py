"""Invented pupils: a school's roll drawn from the seed, and what the story knows of each child.

The same seed draws the same roll, child by child, in the same order.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass, field
from typing import Any

from safeguarding.demo import text
from safeguarding.demo.term_dates import is_term_day
from safeguarding.models import Pupil
from safeguarding.services.pupils import upn_check_letter
from trustplatform.schooldays.demo import monday_on_or_after
from trustplatform.schooldays.models import academic_year_of

# An invented local authority number for the UPNs (real ones run from 201 to 938).
DEMO_LA_CODE = 990
# Year groups each phase of school teaches (nursery -1, reception 0).
PHASE_YEARS: dict[str, tuple[int, ...]] = {
    "nursery": (-1, 0),
    "primary": (-1, 0, 1, 2, 3, 4, 5, 6),
    "secondary": (7, 8, 9, 10, 11, 12, 13),
    "sixth_form": (12, 13),
    "all_through": (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13),
    "special": (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
    "alternative": (9, 10, 11),
}
PRIMARY_FORM_NAMES = ("Ash", "Beech", "Cedar", "Elm", "Hazel", "Holly", "Maple", "Oak", "Rowan")
SECONDARY_FORM_LETTERS = ("H", "L", "T", "W")


@dataclass(frozen=True)
class Household:
    adult: str  # as the child says it: "Mum"
    adult_she: str
    adult_her: str
    adult2: str  # another adult of the household, as the child says it
    adult_rel: str  # as the school refers to them: "Mum", "the foster carer"


@dataclass(eq=False)  # each child is themselves: compared by identity
class Child:
    """An invented pupil before (and after) enrolment, with what the story needs to know."""

    fields: dict[str, Any]
    household: Household
    # The year group stored, and the school year in which the child is in it.
    year: int
    reference_year: int
    admitted: dt.date
    weight: float
    left: dt.date | None = None
    siblings: list[Child] = field(default_factory=list)
    half_sibling: bool = False
    pupil: Pupil | None = None

    @property
    def first_name(self) -> str:
        return str(self.fields.get("preferred_first_name") or self.fields["legal_first_name"])

    @property
    def sex(self) -> str:
        return str(self.fields["sex"])

    @property
    def enrolled(self) -> Pupil:
        if self.pupil is None:
            raise RuntimeError("A pupil is enrolled before anything is recorded about them.")
        return self.pupil

    def year_on(self, day: dt.date) -> int:
        return self.year - (self.reference_year - academic_year_of(day))

    def on_roll(self, day: dt.date) -> bool:
        return self.admitted < day and (self.left is None or day < self.left)


def demo_upn(*, establishment: int, year: int, serial: int) -> str:
    """A UPN with a valid check letter: LA number, establishment, year allocated, serial."""
    rest = f"{DEMO_LA_CODE:03d}{establishment % 10000:04d}{year % 100:02d}{serial % 1000:03d}"
    return upn_check_letter(rest) + rest


def _household(rng: random.Random, *, looked_after: bool) -> Household:
    second = rng.choice(text.SECOND_ADULTS)
    if looked_after:
        carer = rng.choice(text.FOSTER_CARER_NAMES)
        return Household(carer, "she", "her", second, "the foster carer")
    adult, she, her, _ = rng.choices(
        text.HOUSEHOLD_ADULTS, weights=[a[3] for a in text.HOUSEHOLD_ADULTS]
    )[0]
    if adult == "Dad" and second == "Dad":
        second = "my uncle"
    relation = {"Nan": "Nan (kinship carer)", "Grandad": "Grandad (kinship carer)"}
    return Household(adult, she, her, second, relation.get(adult, adult))


def _form(rng: random.Random, year: int, forms: dict[int, tuple[str, ...]]) -> str:
    if year not in forms:
        if year == -1:
            forms[year] = ("Nursery",)
        elif year <= 6:
            label = "R" if year == 0 else str(year)
            forms[year] = tuple(f"{label} {name}" for name in rng.sample(PRIMARY_FORM_NAMES, 2))
        elif year >= 12:
            forms[year] = (f"{year}S",)
        else:
            forms[year] = tuple(f"{year}{letter}" for letter in SECONDARY_FORM_LETTERS[:3])
    return rng.choice(forms[year])


class _Roll:
    """Draws a school's invented pupils, always in the same order: the same seed, the same roll."""

    def __init__(
        self, rng: random.Random, *, years: tuple[int, ...], today: dt.date, establishment: int
    ) -> None:
        self.rng = rng
        self.years = years
        self.today = today
        self.establishment = establishment
        self.serials: dict[int, itertools.count[int]] = {}
        self.forms: dict[int, tuple[str, ...]] = {}
        self.used_names: set[tuple[str, str]] = set()

    def admission(self, year: int, reference_year: int) -> dt.date:
        rng, years = self.rng, self.years
        # Most join at the start of the phase (nursery or reception; year 7; some at 12), and a
        # few in the middle of a year.
        entry = years[0] if years[0] >= 7 or rng.random() < 0.55 else min(0, years[-1])
        if year >= 12 and rng.random() < 0.3:
            entry = 12
        entry = min(entry, year)
        admitted = monday_on_or_after(dt.date(reference_year - (year - entry), 9, 4))
        if rng.random() < 0.1:
            latest = min(self.today - dt.timedelta(days=21), dt.date(reference_year + 1, 7, 1))
            if latest > admitted:
                admitted += dt.timedelta(days=rng.randint(0, (latest - admitted).days))
        return min(admitted, self.today - dt.timedelta(days=1))

    def child(self, year: int, reference_year: int, surname: str, household: Household) -> Child:
        rng = self.rng
        sex = rng.choice((Pupil.Sex.FEMALE, Pupil.Sex.MALE))
        names = text.GIRLS_FIRST_NAMES if sex == Pupil.Sex.FEMALE else text.BOYS_FIRST_NAMES
        first = rng.choice(names)
        while (first, surname) in self.used_names:
            first = rng.choice(names)
        self.used_names.add((first, surname))
        # Born between 1 September and 31 August of the right school year.
        born = dt.date(reference_year - 5 - year, 9, 1) + dt.timedelta(days=rng.randint(0, 364))
        admitted = self.admission(year, reference_year)
        serial = self.serials.setdefault(admitted.year, itertools.count(rng.randint(1, 200)))
        ehcp = rng.random() < 0.02
        fields: dict[str, Any] = {
            "upn": demo_upn(
                establishment=self.establishment, year=admitted.year, serial=next(serial)
            ),
            "legal_first_name": first,
            "legal_last_name": surname,
            "date_of_birth": born,
            "sex": sex,
            "year_group": year,
            "form": _form(rng, year, self.forms),
            "admission_date": admitted,
            # Rates close to England's: SEN support 13%, EHC plan 2%, EAL 20%, pupil premium
            # 25%, young carers 2%. Looked-after children and plans come with their stories.
            "sen": not ehcp and rng.random() < 0.13,
            "ehcp": ehcp,
            "eal": rng.random() < 0.2,
            "pupil_premium": rng.random() < 0.25,
            "young_carer": rng.random() < 0.02,
        }
        if first in text.PREFERRED_FIRST_NAMES and rng.random() < 0.5:
            fields["preferred_first_name"] = text.PREFERRED_FIRST_NAMES[first]
        if rng.random() < 0.03:
            fields["preferred_last_name"] = rng.choice(text.SURNAMES)
        # A few children are the subject of most concerns, as in any school.
        weight = rng.choices((0.15, 1.0, 3.0), weights=(0.6, 0.3, 0.1))[0]
        weight *= 2 if fields["pupil_premium"] else 1
        weight *= 1.3 if fields["sen"] or ehcp else 1
        weight *= 2 if fields["young_carer"] else 1
        return Child(fields, household, year, reference_year, admitted, weight)

    def move_away(self, child: Child) -> None:
        """Makes `child` a pupil who moved to another school during the last year or so."""
        latest = self.today - dt.timedelta(days=30)
        earliest = max(child.admitted + dt.timedelta(days=60), self.today - dt.timedelta(days=400))
        if earliest >= latest:
            return
        left = earliest + dt.timedelta(days=self.rng.randint(0, (latest - earliest).days))
        while not is_term_day(left):
            left -= dt.timedelta(days=1)
        child.year = max(self.years[0], child.year_on(left))
        child.reference_year = academic_year_of(left)
        child.fields["year_group"] = child.year
        child.left = left


def demo_children(
    rng: random.Random, *, phase: str, today: dt.date, establishment: int
) -> list[Child]:
    """Invented pupils for a school of this phase, on roll today, plus a few leavers."""
    years = PHASE_YEARS.get(phase, PHASE_YEARS["all_through"])
    roll = _Roll(rng, years=years, today=today, establishment=establishment)
    this_year = academic_year_of(today)
    count = rng.randint(90, 130)
    year_weights = [0.6 if y == -1 else 0.55 if y >= 12 else 1.0 for y in years]
    children: list[Child] = []
    while len(children) < count:
        year = rng.choices(years, weights=year_weights)[0]
        surname = rng.choice(text.SURNAMES)
        household = _household(rng, looked_after=False)
        child = roll.child(year, this_year, surname, household)
        children.append(child)
        # About one child in twelve has a brother or sister here too (a few half-siblings).
        if rng.random() < 0.08 and len(years) > 1:
            half = rng.random() < 0.2
            sibling = roll.child(
                rng.choice([y for y in years if y != year]),
                this_year,
                rng.choice(text.SURNAMES) if half else surname,
                household,
            )
            sibling.half_sibling = half
            child.siblings.append(sibling)
            sibling.siblings.append(child)
            children.append(sibling)
    # A few leavers, whose records stay (retention runs from the date of birth): some moved
    # school during the year, some left at the end of the phase last summer.
    for _ in range(rng.randint(2, 3)):
        roll.move_away(rng.choice([c for c in children if not c.siblings]))
    summer = dt.date(this_year, 7, 21)
    final_year = years[-1] if years[-1] != 13 else 11
    for _ in range(rng.randint(2, 3)):
        household = _household(rng, looked_after=False)
        leaver = roll.child(
            final_year, academic_year_of(summer), rng.choice(text.SURNAMES), household
        )
        leaver.left = summer
        children.append(leaver)
    return children
