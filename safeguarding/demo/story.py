"""The story's common ground: its clock, its people and the concerns it plans.

`_Story` holds the state every part of the plan shares; the parts (records, follow_up, concerns,
sharing, cases) each add their planning methods in a subclass, and seeder.py puts them together.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import time_machine

from safeguarding.demo import text
from safeguarding.demo.pupils import Child
from safeguarding.demo.term_dates import _add_term_days, _at, _local_day, is_term_day
from safeguarding.models import Action, Agency, AgencyContact, Category, Concern, Document, Pupil
from safeguarding.services.chronology import Person
from tenants.models import School
from trustplatform.accounts.models import Role, User
from trustplatform.schooldays.calendar import LONDON, is_working_day

# Eighteen months of history, ending now.
HISTORY_DAYS = 548
# How a record names a person's role, after their name.
ROLE_TITLES = {
    Role.DSL: "DSL",
    Role.DEPUTY_DSL: "deputy DSL",
    Role.HEADTEACHER: "headteacher",
    Role.KEY_HOLDER: "pastoral lead",
    Role.STAFF: "class teacher",
}


@dataclass
class _Step:
    when: dt.datetime
    seq: int
    run: Callable[[], object]


@dataclass(eq=False)
class _Case:
    """One concern as the story plans it; the records are filled in as its steps run."""

    children: list[Child]
    template: text.Template
    level: str
    values: dict[str, str]
    screener: Person
    last: dt.datetime
    other: Child | None = None
    concern: Concern | None = None
    actions: dict[str, Action] = field(default_factory=dict)

    def fill(self, words: str, **extra: str) -> str:
        return words.format_map({**self.values, **extra})

    @property
    def child(self) -> Child:
        return self.children[0]

    def current(self) -> Concern:
        if self.concern is None:
            raise RuntimeError("A concern is recorded before its follow-up.")
        return self.concern


def case_values(
    rng: random.Random,
    child: Child,
    *,
    other: Child | None,
    occurred: dt.datetime,
    staff_adult: tuple[str, str, str] | None,
    reference: int,
) -> dict[str, str]:
    """What fills the placeholders of the demo's words for one concern about `child`."""
    female = child.sex == Pupil.Sex.FEMALE
    he, him, his = ("she", "her", "her") if female else ("he", "him", "his")
    household = child.household
    day = _local_day(occurred)
    night = rng.randint(21 * 60 + 30, 24 * 60 + 70) % (24 * 60)
    staff_name, staff_role, staff_he = staff_adult or ("", "", "")
    surname = child.fields.get("preferred_last_name") or child.fields["legal_last_name"]
    return {
        "name": child.first_name,
        "surname": str(surname),
        "he": he,
        "He": he.capitalize(),
        "him": him,
        "his": his,
        "His": his.capitalize(),
        "adult": household.adult,
        "adult_she": household.adult_she,
        "adult_her": household.adult_her,
        "adult2": household.adult2,
        "adult_rel": household.adult_rel,
        "Adult_rel": household.adult_rel[:1].upper() + household.adult_rel[1:],
        "other": other.first_name if other else "another pupil",
        "other_year": str(other.year_on(day)) if other else "",
        "time": f"{occurred.astimezone(LONDON):%H:%M}",
        "early_time": f"{occurred.astimezone(LONDON):%H:%M}",
        "night_time": f"{night // 60:02d}:{night % 60:02d}",
        "pct": str(rng.randint(64, 86)),
        "staff_adult": staff_name,
        "staff_role": staff_role,
        "staff_he": staff_he.capitalize(),
        "weeks": str(rng.randint(2, 6)),
        "ref": str(reference),
        "lado_ref": f"LADO-{day:%y}-{reference % 1000:03d}",
        "contact": "",
        "parents_advice": "",
    }


class _Story:
    """The story's state and its clock: who is who, what has been planned, and when.

    Planning a record adds a step (a closure and the moment it happens in the story); `run` plays
    the steps in order, each with the clock moved to its moment. The planning methods of the
    other modules build on this class; `_Seeder` (seeder.py) puts them together.
    """

    def __init__(
        self,
        *,
        school: School,
        people: Mapping[Role, User],
        rng: random.Random,
        now: dt.datetime,
    ) -> None:
        self.school = school
        self.rng = rng
        self.now = now
        self.today = _local_day(now)
        self.start = self.today - dt.timedelta(days=HISTORY_DAYS)
        self.people = people
        self.dsl = self._person(Role.DSL)
        self.deputy = self._person(Role.DEPUTY_DSL, Role.DSL)
        self.head = self._person(Role.HEADTEACHER, Role.DSL)
        self.key_holder = self._person(Role.KEY_HOLDER, Role.DEPUTY_DSL, Role.DSL)
        self.staff = self._person(Role.STAFF, Role.KEY_HOLDER, Role.DEPUTY_DSL, Role.DSL)
        self.admin_id = (people.get(Role.SCHOOL_ADMIN) or people[Role.DSL]).pk
        self.categories: dict[str, int] = dict(
            Category.objects.filter(retired_at__isnull=True)
            .exclude(code="")
            .values_list("code", "pk")
        )
        self.steps: list[_Step] = []
        self.sequence = itertools.count()
        self.children: list[Child] = []
        self.agencies: dict[str, Agency] = {}
        self.contacts: dict[str, AgencyContact] = {}
        # Uploaded documents by kind and pupil, for the disclosures that issue them.
        self.documents: dict[tuple[str, int], Document] = {}
        self.planned_documents: set[str] = set()
        self.high_cases: list[tuple[_Case, dt.datetime]] = []
        self.references = itertools.count(rng.randint(1000, 8000))
        onboarding_day = self.start - dt.timedelta(days=14)
        while not is_working_day(onboarding_day):
            onboarding_day -= dt.timedelta(days=1)
        self.onboarding = _at(onboarding_day, 9 * 60 + 30)
        self.concern_count = 0

    def _person(self, *roles: Role) -> Person:
        for role in roles:
            if role in self.people:
                user = self.people[role]
                return Person(user_id=user.pk, name=user.full_name, role=str(role))
        raise ValueError(f"The demo needs a {roles[0].label} at the school.")

    def _title(self, person: Person) -> str:
        return f"{person.name} ({ROLE_TITLES.get(Role(person.role), person.role)})"

    def _contact_name(self, key: str) -> str:
        return next(spec.contacts[0][0] for spec in text.AGENCIES if spec.key == key)

    def _agency_name(self, key: str) -> str:
        return next(spec.name for spec in text.AGENCIES if spec.key == key)

    # --- time ---

    def _step(self, when: dt.datetime, run: Callable[[], object]) -> None:
        self.steps.append(_Step(when, next(self.sequence), run))

    def _moment(self, day: dt.date, first: int, last: int) -> dt.datetime:
        return _at(day, self.rng.randint(first, last))

    def _after(self, moment: dt.datetime, least: int, most: int) -> dt.datetime:
        """Some minutes later in the working day; out of hours moves to the next morning."""
        later = moment + dt.timedelta(minutes=self.rng.randint(least, most))
        local = later.astimezone(LONDON)
        if is_working_day(local.date()) and dt.time(7, 30) <= local.time() <= dt.time(17, 45):
            return later
        day = local.date()
        if not (is_working_day(day) and local.time() < dt.time(7, 30)):
            day += dt.timedelta(days=1)
            while not is_working_day(day):
                day += dt.timedelta(days=1)
        return self._moment(day, 8 * 60 + 5, 9 * 60 + 30)

    def _days_after(self, moment: dt.datetime, least: int, most: int) -> dt.datetime:
        """During the school day, between `least` and `most` term days later."""
        day = _add_term_days(_local_day(moment), self.rng.randint(least, most))
        later = self._moment(day, 9 * 60, 16 * 60 + 30)
        return later if later > moment else self._after(moment, 20, 90)

    def _term_day_near(self, day: dt.date) -> dt.date:
        while not is_term_day(day):
            day += dt.timedelta(days=1)
        return day

    def run(self) -> None:
        latest = self.now - dt.timedelta(minutes=1)
        for step in sorted(self.steps, key=lambda s: (s.when, s.seq)):
            # The story's future (a closure not yet due, a screening still to come) is left out:
            # that is what makes cases open, actions outstanding and concerns unscreened.
            if step.when > latest:
                continue
            with time_machine.travel(step.when, tick=False):
                step.run()

    def _on_roll(self, day: dt.date, *, exclude: Sequence[Child] = ()) -> list[Child]:
        return [c for c in self.children if c.on_roll(day) and c not in exclude]

    def _values(
        self,
        child: Child,
        other: Child | None,
        occurred: dt.datetime,
        staff_adult: tuple[str, str, str] | None,
    ) -> dict[str, str]:
        return case_values(
            self.rng,
            child,
            other=other,
            occurred=occurred,
            staff_adult=staff_adult,
            reference=next(self.references),
        )
