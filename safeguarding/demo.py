"""Invented records for the demo: a school's pupils and eighteen months of safeguarding work.

`seed_school_records` fills one school (the caller has entered its schema) with invented pupils
and a true-to-life spread of concerns, screening, actions, calls, meetings, documents and
information sharing, so that every page of the demo has something to show. Everything is written
through the services, as staff would write it.

The services stamp every record with the server's time, so each call runs with the clock moved
(time-machine, `tick=False`) to the moment it happens in the story: recorded-at times, screening
times, alert times and the chronology's order all agree, as in a school that has used the system
for a year and a half. Nothing is backdated with a reason unless staff would have had one (a
paper form entered later, a concern recorded after the lesson).

Deterministic for a given `rng_seed` and day; idempotent: a school that already has pupils is
left alone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import itertools
import logging
import random
import struct
import textwrap
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from safeguarding import demo_text as text
from safeguarding.models import (
    Action,
    Agency,
    AgencyContact,
    Alert,
    Allegation,
    Category,
    ChronologyEntry,
    Concern,
    Disclosure,
    Document,
    FamilyLink,
    LawfulBasis,
    Pupil,
    Source,
)
from safeguarding.schooltime import LONDON, is_school_day
from safeguarding.services import concerns as concern_services
from safeguarding.services import pupils as pupil_services
from safeguarding.services.access import key_holder_access_set
from safeguarding.services.chronology import Person
from safeguarding.services.concerns import (
    action_add,
    action_complete,
    alert_mark_read,
    allegation_lado_referred,
    allegation_outcome_record,
    concern_record,
    concern_screen,
    concern_status_set,
    contact_record,
)
from safeguarding.services.documents import document_upload
from safeguarding.services.pupils import (
    family_link_add,
    pupil_create,
    pupil_update,
    upn_check_letter,
)
from safeguarding.services.sharing import (
    agency_contact_create,
    agency_create,
    disclosure_decide,
    disclosure_record_child_informed,
    disclosure_record_shared,
    disclosure_request_record,
)
from tenants.models import School
from trustplatform.accounts.models import Role, User

# Eighteen months of history, ending now.
HISTORY_DAYS = 548
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
class SeedSummary:
    """What a school holds after seeding, and whether this run seeded it."""

    school_name: str
    seeded: bool
    pupils: int
    concerns: int
    chronology_entries: int
    documents: int
    disclosures: int

    def line(self) -> str:
        state = "seeded" if self.seeded else "already seeded"
        return (
            f"{self.school_name}: {self.pupils} pupils, {self.concerns} concerns, "
            f"{self.chronology_entries} chronology entries ({state})"
        )


def seed_school_records(
    *,
    school: School,
    people: Mapping[Role, User],
    rng_seed: int,
    now: dt.datetime | None = None,
) -> SeedSummary:
    """Fills the current school's schema with invented records; does nothing if it has pupils.

    `people` holds one user per school role (the DSL at least); they are the authors, screeners
    and assignees of everything recorded.
    """
    if Pupil.objects.exists():
        return _summary(school, seeded=False)
    seeder = _Seeder(
        school=school,
        people=people,
        rng=random.Random(rng_seed),  # noqa: S311 - invented data, reproducible from the seed
        now=now or timezone.now(),
    )
    seeder.plan()
    # One transaction per school: the chronology's chain lock is taken once per append and held
    # to the end, which is harmless here because nobody else writes to a school being seeded.
    with transaction.atomic(), _alert_emails_held_back(), _enrolment_log_quiet():
        seeder.run()
    return _summary(school, seeded=True)


def _summary(school: School, *, seeded: bool) -> SeedSummary:
    return SeedSummary(
        school_name=school.name,
        seeded=seeded,
        pupils=Pupil.objects.count(),
        concerns=Concern.objects.count(),
        chronology_entries=ChronologyEntry.objects.count(),
        documents=Document.objects.count(),
        disclosures=Disclosure.objects.count(),
    )


@contextlib.contextmanager
def _alert_emails_held_back() -> Iterator[None]:
    # The alerts themselves are written (the DSL's alert list shows them) but their emails are
    # not queued: they belong to events of the past eighteen months, and queueing them would send
    # hundreds of emails when the demo's worker starts. Concerns still unscreened are escalated,
    # and emailed, by the escalation task as in real life.
    with mock.patch.object(concern_services, "_send_alert_emails_after_commit", lambda c: None):
        yield


@contextlib.contextmanager
def _enrolment_log_quiet() -> Iterator[None]:
    # The pupils service logs each enrolment at INFO; a hundred lines per school would bury the
    # demo's own output (the accounts and their passwords).
    pupils_log = logging.getLogger(pupil_services.__name__)
    level = pupils_log.level
    pupils_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        pupils_log.setLevel(level)


# --- the school calendar -------------------------------------------------------------------------


def academic_year(day: dt.date) -> int:
    """The calendar year in which the school year holding `day` began (September)."""
    return day.year if day.month >= 9 else day.year - 1


def _monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _holidays(year: int) -> tuple[tuple[dt.date, dt.date], ...]:
    """Typical English school holidays of the school year starting in September `year`."""
    spring = year + 1
    autumn_half = _monday_on_or_after(dt.date(year, 10, 21))
    february_half = _monday_on_or_after(dt.date(spring, 2, 12))
    easter = _monday_on_or_after(dt.date(spring, 3, 30))
    may_half = _monday_on_or_after(dt.date(spring, 5, 25))
    return (
        (dt.date(year, 9, 1), dt.date(year, 9, 3)),
        (autumn_half, autumn_half + dt.timedelta(days=4)),
        (dt.date(year, 12, 20), dt.date(spring, 1, 4)),
        (february_half, february_half + dt.timedelta(days=4)),
        (easter, easter + dt.timedelta(days=11)),
        (may_half, may_half + dt.timedelta(days=4)),
        (dt.date(spring, 7, 22), dt.date(spring, 8, 31)),
    )


def is_term_day(day: dt.date) -> bool:
    return is_school_day(day) and not any(
        first <= day <= last for first, last in _holidays(academic_year(day))
    )


def _add_term_days(day: dt.date, days: int) -> dt.date:
    while days > 0:
        day += dt.timedelta(days=1)
        if is_term_day(day):
            days -= 1
    return day


def _school_days_before(day: dt.date, days: int) -> dt.date:
    while days > 0:
        day -= dt.timedelta(days=1)
        if is_school_day(day):
            days -= 1
    return day


def _at(day: dt.date, minutes: int) -> dt.datetime:
    """`minutes` after midnight on `day` in London, as an aware UTC time."""
    local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=LONDON)
    return local.astimezone(dt.UTC)


def _local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LONDON).date()


# --- invented pupils ---------------------------------------------------------------------------


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
        return self.year - (self.reference_year - academic_year(day))

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
        admitted = _monday_on_or_after(dt.date(reference_year - (year - entry), 9, 4))
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
        child.reference_year = academic_year(left)
        child.fields["year_group"] = child.year
        child.left = left


def demo_children(
    rng: random.Random, *, phase: str, today: dt.date, establishment: int
) -> list[Child]:
    """Invented pupils for a school of this phase, on roll today, plus a few leavers."""
    years = PHASE_YEARS.get(phase, PHASE_YEARS["all_through"])
    roll = _Roll(rng, years=years, today=today, establishment=establishment)
    this_year = academic_year(today)
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
        leaver = roll.child(final_year, academic_year(summer), rng.choice(text.SURNAMES), household)
        leaver.left = summer
        children.append(leaver)
    return children


# --- invented documents ------------------------------------------------------------------------

# The PDF's built-in font speaks ASCII: typographic quotes and dashes become plain ones.
_ASCII = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u00a3": "GBP ",
    }
)


def demo_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A small, valid one-page PDF with a title and lines of text (Helvetica, ASCII only)."""

    def literal(words: str) -> str:
        plain = words.translate(_ASCII).encode("ascii", "replace").decode()
        return "(" + plain.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"

    ops = ["BT", "/F1 15 Tf", "56 780 Td", f"{literal(title)} Tj", "/F1 10 Tf", "0 -28 Td"]
    for line in lines:
        for part in textwrap.wrap(line, 95) or [""]:
            ops += [f"{literal(part)} Tj", "0 -15 Td"]
    ops.append("ET")
    stream = "\n".join(ops).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        pdf += b"%010d 00000 n \n" % offset
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)


def demo_png(seed: int, width: int = 320, height: int = 220) -> bytes:
    """A small greyscale PNG that looks like a scanned, handwritten, ruled form."""
    rng = random.Random(seed)  # noqa: S311 - pen strokes, not secrets
    pixels = [bytearray([236] * width) for _ in range(height)]
    for y in range(30, height - 10, 22):
        pixels[y][20 : width - 20] = bytes([170] * (width - 40))  # a ruled line
        x = 24 + rng.randint(0, 20)
        while x < width - 40:  # "words": short wiggly pen strokes above the line
            for _ in range(rng.randint(12, 40)):
                pen = y - 3 - rng.randint(0, 9)
                pixels[pen][x] = pixels[pen][x + 1] = 40
                x += 1
            x += rng.randint(6, 12)
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


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


# --- the story ---------------------------------------------------------------------------------

ROLE_TITLES = {
    Role.DSL: "DSL",
    Role.DEPUTY_DSL: "deputy DSL",
    Role.HEADTEACHER: "headteacher",
    Role.KEY_HOLDER: "pastoral lead",
    Role.STAFF: "class teacher",
}
MONTH_WEIGHTS = {9: 1.2, 10: 1.2, 11: 1.3, 12: 0.9, 1: 1.1, 3: 1.1, 4: 0.9, 7: 0.8}
TEMPLATES_BY_KEY = {t.key: t for t in (*text.TEMPLATES, *text.ALLEGATION_TEMPLATES)}


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


@dataclass(frozen=True)
class _Recording:
    """How a concern reached the system."""

    author: Person
    recorded: dt.datetime
    source: Source = Source.DIRECT
    original_author: str = ""
    written_at: dt.datetime | None = None
    reason: str = ""


def _phase_of(year: int) -> str:
    return "primary" if year <= 6 else "secondary"


class _Seeder:
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
        while not is_school_day(onboarding_day):
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
        if is_school_day(local.date()) and dt.time(7, 30) <= local.time() <= dt.time(17, 45):
            return later
        day = local.date()
        if not (is_school_day(day) and local.time() < dt.time(7, 30)):
            day += dt.timedelta(days=1)
            while not is_school_day(day):
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

    # --- the plan ---

    def plan(self) -> None:
        urn_tail = self.school.urn[-4:]
        establishment = int(urn_tail) if urn_tail.isdigit() else self.rng.randint(2000, 7999)
        self.children = demo_children(
            self.rng, phase=self.school.phase, today=self.today, establishment=establishment
        )
        looked_after, protected, in_need = self._choose_arc_children()
        self._plan_directory()
        self._plan_enrolment()
        for child in protected:
            self._protection_plan_arc(child)
        for child in in_need:
            self._child_in_need_arc(child)
        for child in looked_after:
            self._looked_after_arc(child)
        for _ in range(1 + (self.rng.random() < 0.5)):
            self._allegation()
        self._unscreened()
        self._singles(self.rng.randint(75, 110) - self.concern_count)
        self._police_request()
        if in_need:
            self._refused_request(in_need[0])
        if protected:
            self._pending_request(protected[0])
        self._step(self.now - dt.timedelta(minutes=2), self._key_holder_grant)

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

    def _choose_arc_children(self) -> tuple[list[Child], list[Child], list[Child]]:
        settled = [
            c
            for c in self.children
            if c.left is None and c.admitted < self.start + dt.timedelta(days=30)
        ]
        on_roll = sum(1 for c in self.children if c.left is None)
        # About 1% looked after, 1% on a child protection plan, 3% on a child in need plan.
        looked_after = self.rng.sample(settled, min(len(settled), max(1, round(on_roll * 0.01))))
        for child in looked_after:
            child.fields.update(looked_after=True, pupil_premium=True)
            child.household = _household(self.rng, looked_after=True)
            child.weight *= 3
        arc_start = self.today - dt.timedelta(days=430)
        candidates = [
            c
            for c in settled
            if c not in looked_after and 1 <= c.year_on(arc_start) <= 10 and not c.siblings
        ]
        protected = self.rng.sample(candidates, min(len(candidates), max(1, round(on_roll * 0.01))))
        candidates = [c for c in candidates if c not in protected]
        in_need = self.rng.sample(candidates, min(len(candidates), max(2, round(on_roll * 0.03))))
        for child in (*protected, *in_need):
            child.weight *= 2
        return looked_after, protected, in_need

    def _plan_directory(self) -> None:
        def create() -> None:
            for spec in text.AGENCIES:
                existing = Agency.objects.filter(name__iexact=spec.name).first()
                agency = existing or agency_create(
                    author=self.dsl,
                    name=spec.name,
                    kind=spec.kind,
                    phone=spec.phone,
                    email=spec.email,
                    notes=spec.notes,
                )
                self.agencies[spec.key] = agency
                for name, role in spec.contacts:
                    contact = agency.contacts.filter(name=name).first() or agency_contact_create(
                        agency=agency, author=self.dsl, name=name, role=role, phone=spec.phone
                    )
                    self.contacts.setdefault(spec.key, contact)

        self._step(self.onboarding, create)

    def _plan_enrolment(self) -> None:
        created: dict[int, dt.datetime] = {}
        for index, child in enumerate(self.children):
            week_before = _school_days_before(child.admitted, 5)
            when = (
                self.onboarding + dt.timedelta(minutes=30, seconds=index)
                if week_before <= _local_day(self.onboarding)
                else _at(week_before, 10 * 60 + index % 60)
            )
            created[id(child)] = when
            self._step(when, functools.partial(self._enrol, child))
            if child.left is not None:
                self._step(_at(child.left, 16 * 60), functools.partial(self._leave, child))
        for child in self.children:
            for sibling in child.siblings:
                if self.children.index(child) < self.children.index(sibling):
                    relationship = (
                        FamilyLink.Relationship.HALF_SIBLING
                        if child.half_sibling or sibling.half_sibling
                        else FamilyLink.Relationship.SIBLING
                    )
                    when = max(created[id(child)], created[id(sibling)]) + dt.timedelta(minutes=1)
                    self._step(when, functools.partial(self._link, child, sibling, relationship))

    def _enrol(self, child: Child) -> None:
        child.pupil = pupil_create(actor_id=self.admin_id, **child.fields)

    def _leave(self, child: Child) -> None:
        pupil_update(pupil=child.enrolled, actor_id=self.admin_id, leaving_date=child.left)

    def _link(self, child: Child, relative: Child, relationship: str) -> None:
        family_link_add(pupil=child.enrolled, relative=relative.enrolled, relationship=relationship)

    # --- concerns ---

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

    def _occurred(self, day: dt.date, template: text.Template) -> dt.datetime:
        if template.notification:
            return self._moment(day, 7 * 60 + 20, 8 * 60 + 40)
        first, last = self.rng.choices(
            ((8 * 60 + 15, 9 * 60 + 10), (9 * 60 + 10, 12 * 60), (12 * 60, 13 * 60 + 15),
             (13 * 60 + 15, 15 * 60 + 15), (15 * 60 + 15, 17 * 60 + 30)),
            weights=(0.22, 0.3, 0.2, 0.18, 0.1),
        )[0]  # fmt: skip
        return self._moment(day, first, last)

    def _template_fits(self, template: text.Template, child: Child, day: dt.date) -> bool:
        year = child.year_on(day)
        return (
            _phase_of(year) in template.phases
            and template.min_year <= year <= template.max_year
            and (not template.sex or template.sex == child.sex)
        )

    def _concern(
        self,
        children: list[Child],
        template: text.Template,
        day: dt.date,
        *,
        level: str | None = None,
        other: Child | None = None,
        occurred: dt.datetime | None = None,
        screen: bool = True,
        follow_up: bool = True,
    ) -> _Case | None:
        """Plans a concern: recorded, then (unless `screen` is false) screened and followed up."""
        rng = self.rng
        category_ids = [self.categories[c] for c in template.categories if c in self.categories]
        if not category_ids:
            return None  # the school has retired these categories
        occurred = occurred or self._occurred(day, template)
        level = level or rng.choices(("low", "medium", "high"), weights=template.levels)[0]
        is_allegation = "allegation-staff" in template.categories
        staff_adult = rng.choice(text.ALLEGATION_ADULTS) if is_allegation else None
        screener = (
            self.dsl
            if is_allegation or template.notification
            else rng.choices((self.dsl, self.deputy), weights=(0.65, 0.35))[0]
        )
        case = _Case(
            children=children,
            template=template,
            level=level,
            values=self._values(children[0], other, occurred, staff_adult),
            screener=screener,
            last=occurred,
            other=other,
        )
        self.concern_count += 1
        self._plan_record(case, category_ids, occurred, staff_adult)
        if not screen:
            return case
        self._plan_screening(case)
        if follow_up:
            if is_allegation:
                self._allegation_follow_up(case)
            else:
                self._follow_up(case)
        return case

    def _recording(self, case: _Case, occurred: dt.datetime) -> _Recording:
        """Who entered the concern, when, and why later than it happened if it was."""
        rng = self.rng
        template = case.template
        if template.notification:
            return _Recording(self.dsl, occurred + dt.timedelta(minutes=rng.randint(3, 12)))
        # About one concern in twenty arrives on a paper form, never an urgent one.
        paper = not template.told_dsl and "allegation-staff" not in template.categories
        if paper and rng.random() < 0.05:
            written_at = occurred + dt.timedelta(minutes=rng.randint(10, 30))
            return _Recording(
                author=rng.choice((self.dsl, self.deputy)),
                recorded=self._days_after(written_at, 1, 3),
                source=Source.PAPER_FORM,
                original_author=rng.choice(text.PAPER_FORM_AUTHORS),
                written_at=written_at,
                reason=rng.choice(text.PAPER_FORM_REASONS),
            )
        author = rng.choices(
            (self.staff, self.key_holder, self.deputy, self.dsl, self.head),
            weights=(0.55, 0.2, 0.1, 0.07, 0.08),
        )[0]
        if rng.random() < 0.7:
            return _Recording(author, occurred + dt.timedelta(minutes=rng.randint(2, 14)))
        return _Recording(
            author,
            occurred + dt.timedelta(minutes=rng.randint(20, 150)),
            reason=rng.choice(text.LATE_RECORDING_REASONS),
        )

    def _plan_record(
        self,
        case: _Case,
        category_ids: list[int],
        occurred: dt.datetime,
        staff_adult: tuple[str, str, str] | None,
    ) -> None:
        template = case.template
        entry = self._recording(case, occurred)
        if occurred < self.now < entry.recorded:  # happened this morning: recorded by now
            entry = dataclasses.replace(entry, recorded=self.now - dt.timedelta(minutes=3))
        adult_name, adult_role, _ = staff_adult or ("", "", "")
        account = case.fill(template.account)
        action_taken = case.fill(template.action_taken)
        location = self.rng.choice(template.locations)
        body_map = [{"side": s, "x": x, "y": y, "note": n} for s, x, y, n in template.body_map]

        def record() -> None:
            case.concern = concern_record(
                school=self.school,
                author=entry.author,
                pupil_ids=[c.enrolled.pk for c in case.children],
                category_ids=category_ids,
                account=account,
                occurred_at=occurred,
                backdate_reason=entry.reason,
                location=location,
                action_taken=action_taken,
                told_dsl_in_person=template.told_dsl,
                body_map=body_map,
                source=entry.source,
                original_author_name=entry.original_author,
                original_written_at=entry.written_at,
                adult_name=adult_name,
                adult_role=adult_role,
            )

        self._step(entry.recorded, record)
        case.last = entry.recorded
        if entry.source == Source.PAPER_FORM:
            at = self._after(entry.recorded, 2, 6)
            self._document(at, "paper_form", child=case.child, case=case, always=True)

    def _plan_screening(self, case: _Case) -> None:
        rng = self.rng
        template, level, recorded = case.template, case.level, case.last
        roll = rng.random()
        if template.told_dsl or template.notification or level == "high":
            screened = self._after(recorded, 5, 45)
        elif roll < 0.85:
            screened = self._after(recorded, 20, 300)
        elif roll < 0.95:
            screened = self._after(recorded, 18 * 60, 26 * 60)
        else:
            screened = self._after(recorded, 2 * 24 * 60, 4 * 24 * 60)  # late: it happens
        note = template.screen_note or (
            "An allegation that an adult working in school may have harmed a child: meets the "
            "harm test (KCSIE Part 4). Report to the LADO within one working day; do not "
            "investigate."
        )
        rationale = case.fill(note + " " + rng.choice(text.LEVEL_RATIONALE[level]))
        next_steps = case.fill(text.NEXT_STEPS[level])

        def screen() -> None:
            case.concern = concern_screen(
                concern=case.current(),
                screener=case.screener,
                level=Concern.Level(level),
                rationale=rationale,
                next_steps=next_steps,
            )

        self._step(screened, screen)
        case.last = screened

    def _action(
        self,
        case: _Case,
        key: str,
        *,
        at: dt.datetime,
        kind: Action.Kind,
        description: str = "",
        rationale: str = "",
        actor: Person | None = None,
        assignee: Person | None = None,
        due_days: int | None = None,
        done: dt.datetime | None = None,
        outcome: str = "",
    ) -> None:
        by = actor or case.screener
        due_on = _add_term_days(_local_day(at), due_days) if due_days is not None else None

        def add() -> None:
            case.actions[key] = action_add(
                concern=case.current(),
                actor=by,
                kind=kind,
                description=description,
                decision_rationale=rationale,
                assignee=assignee,
                due_on=due_on,
            )

        self._step(at, add)
        case.last = max(case.last, at)
        if done is None:
            return
        done_by = assignee or by

        def complete() -> None:
            action = action_complete(action=case.actions[key], actor=done_by, outcome=outcome)
            if done_by.user_id != by.user_id:
                # The assignee read their alert when they took the action on.
                for alert_id in Alert.objects.filter(
                    concern_id=action.concern_id,
                    user_id=done_by.user_id,
                    reason=Alert.Reason.ACTION_ASSIGNED,
                    read_at__isnull=True,
                ).values_list("pk", flat=True):
                    alert_mark_read(user_id=done_by.user_id, alert_id=alert_id)

        self._step(done, complete)
        case.last = max(case.last, done)

    def _status(
        self, case: _Case, at: dt.datetime, status: Concern.Status, summary: str = ""
    ) -> None:
        def run() -> None:
            case.concern = concern_status_set(
                concern=case.current(), actor=case.screener, status=status, summary=summary
            )

        self._step(at, run)
        case.last = max(case.last, at)

    def _close(self, case: _Case, closures: Sequence[str], least: int, most: int) -> None:
        self._status(
            case,
            self._days_after(case.last, least, most),
            Concern.Status.CLOSED,
            case.fill(self.rng.choice(closures)),
        )

    def _contact(
        self,
        case: _Case | None,
        child: Child,
        at: dt.datetime,
        *,
        summary: str,
        agency: str = "",
        person: str = "",
        participants: str = "",
        author: Person | None = None,
    ) -> None:
        is_call = bool(person)
        kind = ChronologyEntry.Kind.PHONE_CALL if is_call else ChronologyEntry.Kind.MEETING
        # A meeting is written up after it ends; a call straight after.
        occurred = at - dt.timedelta(minutes=self.rng.randint(5, 15) if is_call else 75)
        by = author or (case.screener if case else self.dsl)

        def run() -> None:
            contact_record(
                pupil=child.enrolled,
                author=by,
                kind=kind,
                occurred_at=occurred,
                summary=summary,
                agency=agency,
                person=person,
                participants=participants,
                concern=case.current() if case else None,
            )

        self._step(at, run)
        if case is not None:
            case.last = max(case.last, at)

    def _call(self, case: _Case, at: dt.datetime, agency_key: str, summary: str) -> None:
        contact = self._contact_name(agency_key)
        self._contact(
            case,
            case.child,
            at,
            summary=case.fill(summary, contact=contact),
            agency=self._agency_name(agency_key),
            person=contact,
        )

    def _document(
        self,
        at: dt.datetime,
        key: str,
        *,
        child: Child,
        case: _Case | None = None,
        always: bool = False,
    ) -> None:
        """Uploads an invented document of this kind: the first of each kind, unless `always`."""
        if key in self.planned_documents and not always:
            return
        self.planned_documents.add(key)
        filename, overview, title, lines = text.DOCUMENTS[key]
        values = case.values if case else self._values(child, None, at, None)
        if key == "paper_form":
            content = demo_png(self.rng.randint(0, 10**6))
        else:
            content = demo_pdf(
                title.format_map(values),
                [*(line.format_map(values) for line in lines), "", text.DOCUMENT_FOOTER],
            )

        def run() -> None:
            self.documents[key, child.enrolled.pk] = document_upload(
                pupil=child.enrolled,
                uploaded_file=SimpleUploadedFile(filename, content),
                overview=overview,
                author=self.dsl,
                concern=case.current() if case else None,
            )

        self._step(at, run)
        if case is not None:
            case.last = max(case.last, at)

    # --- follow-up, by level ---

    def _follow_up(self, case: _Case) -> None:
        template = case.template
        if template.notification:
            at = self._after(case.last, 3, 10)
            self._document(at, "encompass", child=case.child, case=case)
            self._action(
                case,
                "check_in",
                at=self._after(at, 1, 5),
                kind=Action.Kind.CONVERSATION_PUPIL,
                description=case.fill(text.ENCOMPASS_CHECK_IN),
                assignee=self.staff,
                due_days=0,
                done=_at(_local_day(at), 15 * 60 + self.rng.randint(20, 55)),
                outcome=case.fill(self.rng.choice(text.ENCOMPASS_OUTCOMES)),
            )
        if case.level == "low":
            self._low(case, parents=not template.notification and not template.parents_not_told)
        elif case.level == "medium":
            self._medium(case)
        else:
            self._high(case)

    def _parents_informed(
        self, case: _Case, outcomes: Sequence[str] = (), *, after: dt.datetime | None = None
    ) -> None:
        at = self._after(after or case.last, 3, 30)
        self._action(
            case,
            "parents",
            at=at,
            kind=Action.Kind.PARENTS_INFORMED,
            description=case.fill(self.rng.choice(text.PARENT_CALL_DESCRIPTIONS)),
            assignee=self.rng.choice((case.screener, self.key_holder)),
            due_days=1,
            done=self._after(at, 60, 26 * 60),
            outcome=case.fill(self.rng.choice(outcomes or text.PARENT_CALL_OUTCOMES)),
        )

    def _pupil_check_in(self, case: _Case, *, after: dt.datetime | None = None) -> None:
        at = self._after(after or case.last, 3, 25)
        self._action(
            case,
            "pupil",
            at=at,
            kind=Action.Kind.CONVERSATION_PUPIL,
            description=case.fill(self.rng.choice(text.PUPIL_CHAT_DESCRIPTIONS)),
            assignee=self.rng.choice((self.staff, self.key_holder)),
            due_days=3,
            done=self._days_after(at, 1, 6),
            outcome=case.fill(self.rng.choice(text.PUPIL_CHAT_OUTCOMES)),
        )

    def _low(self, case: _Case, *, parents: bool) -> None:
        rng = self.rng
        screened = case.last
        if parents and rng.random() < 0.85:
            self._parents_informed(case)
        if rng.random() < 0.55:
            self._pupil_check_in(case, after=screened)
        if case.other is not None and rng.random() < 0.35:
            at = self._after(case.last, 5, 60)
            self._action(
                case,
                "adult",
                at=at,
                kind=Action.Kind.CONVERSATION_ADULT,
                description=case.fill(rng.choice(text.ADULT_CHAT_DESCRIPTIONS)),
                assignee=self.key_holder,
                due_days=5,
                done=self._days_after(at, 2, 8),
                outcome=case.fill(rng.choice(text.ADULT_CHAT_OUTCOMES)),
            )
        if rng.random() < 0.45:
            at = self._after(case.last, 3, 30)
            self._action(
                case,
                "nfa",
                at=at,
                kind=Action.Kind.NO_FURTHER_ACTION,
                rationale=case.fill(rng.choice(text.NFA_RATIONALES)),
                done=self._after(at, 5, 40),
                outcome="Decision shared with the class teacher, who will pass on any new concern.",
            )
        self._close(case, text.CLOSURES["low"], 5, 20)

    def _medium(self, case: _Case) -> None:
        rng = self.rng
        template = case.template
        self._status(case, self._after(case.last, 1, 5), Concern.Status.OPEN)
        opened = case.last
        if not template.parents_not_told:
            self._parents_informed(case)
        if rng.random() < 0.6:
            self._pupil_check_in(case, after=opened)
        at = self._after(case.last, 10, 90)
        if template.medium_agency == "early_help":
            description, outcome = text.EARLY_HELP_ACTION
            meeting = self._days_after(at, 6, 18)
            self._contact(
                case,
                case.child,
                meeting,
                summary=case.fill(text.MEETINGS["taf"][0]),
                participants=case.fill(
                    "{Adult_rel}; "
                    + f"{self._contact_name('early_help')} (early help practitioner); "
                    + f"{self._title(self.staff)}; {self._title(case.screener)}"
                ),
            )
            self._action(
                case,
                "early_help",
                at=at,
                kind=Action.Kind.REFERRAL_EARLY_HELP,
                description=case.fill(description),
                assignee=self.deputy,
                due_days=10,
                done=self._after(meeting, 15, 40),
                outcome=case.fill(outcome),
            )
            self._document(
                self._days_after(meeting, 1, 2), "early_help", child=case.child, case=case
            )
        else:
            description, outcome = text.AGENCY_ACTIONS[template.medium_agency]
            self._action(
                case,
                "agency",
                at=at,
                kind=Action.Kind.AGENCY_CONTACT,
                description=case.fill(description),
                assignee=case.screener,
                due_days=5,
                done=self._days_after(at, 2, 12),
                outcome=case.fill(outcome),
            )
            if template.medium_agency == "camhs":
                self._call(
                    case, self._after(at, 20, 90), "camhs", text.PHONE_CALLS["camhs_advice"][0]
                )
                self._document(
                    self._days_after(case.last, 8, 15), "camhs_letter", child=case.child, case=case
                )
        if rng.random() < 0.3:
            self._contact(
                case,
                case.child,
                self._days_after(case.last, 3, 12),
                summary=case.fill(rng.choice(text.PHONE_CALLS["parent"])),
                person=case.values["Adult_rel"],
            )
        if rng.random() < 0.85:
            self._close(case, text.CLOSURES["medium"], 15, 45)

    def _referral(self, case: _Case, outcome: int) -> dt.datetime:
        """Phones the Front Door and records the referral; returns when the referral was made."""
        template = case.template
        call_at = self._after(case.last, 5, 25)
        advice = (
            "that school should not tell the family about the referral: social care and the "
            "police will speak to them"
            if template.parents_not_told
            else "that school should tell {adult_rel} about the referral today"
        )
        self._call(
            case,
            call_at,
            "front_door",
            text.PHONE_CALLS["front_door_referral"][0].replace("{parents_advice}", advice),
        )
        referred = self._after(call_at, 10, 30)
        description, outcomes = text.SOCIAL_CARE_ACTION
        self._action(
            case,
            "social_care",
            at=referred,
            kind=Action.Kind.REFERRAL_SOCIAL_CARE,
            description=description,
            assignee=self.dsl,
            due_days=1,
            done=self._days_after(referred, 1, 2),
            outcome=outcomes[outcome],
        )
        self._document(self._after(referred, 30, 120), "referral", child=case.child, case=case)
        if template.police:
            at = self._after(referred, 15, 60)
            description, police_outcome = text.POLICE_ACTION
            self._action(
                case,
                "police",
                at=at,
                kind=Action.Kind.REFERRAL_POLICE,
                description=description,
                assignee=self.dsl,
                due_days=1,
                done=self._after(at, 60, 20 * 60),
                outcome=case.fill(police_outcome),
            )
        if not template.parents_not_told:
            self._parents_informed(case, text.PARENT_REFERRAL_OUTCOMES, after=referred)
        return referred

    def _strategy_meeting(self, case: _Case, after: dt.datetime) -> dt.datetime:
        at = self._days_after(after, 1, 2)
        self._contact(
            case,
            case.child,
            at,
            summary=case.fill(text.MEETINGS["strategy"][0]),
            participants=f"{self._title(self.dsl)}; "
            f"{self._contact_name('front_door')} (social worker); "
            f"{self._contact_name('police')} (police); "
            f"{self._contact_name('school_nurse')} (school nurse)",
        )
        return at

    def _high(self, case: _Case) -> None:
        rng = self.rng
        self._status(case, self._after(case.last, 1, 4), Concern.Status.OPEN)
        outcome = (
            0 if case.template.police else rng.choices((0, 1, 2), weights=(0.45, 0.35, 0.2))[0]
        )
        referred = self._referral(case, outcome)
        self.high_cases.append((case, referred))
        if outcome == 0:
            self._strategy_meeting(case, referred)
        for _ in range(rng.randint(1, 2)):
            self._call(
                case,
                self._days_after(case.last, 4, 12),
                "front_door",
                rng.choice(text.PHONE_CALLS["social_worker_update"]),
            )
        if outcome == 2:
            description, eh_outcome = text.EARLY_HELP_ACTION
            at = self._after(case.last, 10, 60)
            self._action(
                case,
                "early_help",
                at=at,
                kind=Action.Kind.REFERRAL_EARLY_HELP,
                description=case.fill(description),
                assignee=self.deputy,
                due_days=10,
                done=self._days_after(at, 8, 20),
                outcome=case.fill(eh_outcome),
            )
        if rng.random() < 0.75:
            closures = {0: text.CLOSURES["high"][1:], 1: text.CLOSURES["high"][:1]}
            self._close(case, closures.get(outcome, text.CLOSURES["medium"]), 15, 45)

    def _allegation_follow_up(self, case: _Case) -> None:
        rng = self.rng
        at = self._after(case.last, 10, 60)
        reported = self._after(at, 30, 120)
        self._action(
            case,
            "lado",
            at=at,
            kind=Action.Kind.AGENCY_CONTACT,
            description=text.LADO_ACTION,
            actor=self.dsl,
            assignee=self.head,
            due_days=1,
            done=reported,
            outcome=case.fill(text.LADO_OUTCOME),
        )
        reference = case.values["lado_ref"]

        def referred() -> None:
            allegation_lado_referred(
                allegation=case.current().allegation,
                referred_at=timezone.now() - dt.timedelta(minutes=10),
                reference=reference,
            )

        self._step(reported + dt.timedelta(minutes=1), referred)
        concluded = self._days_after(reported, 15, 30)
        outcome = rng.choices(
            ("unsubstantiated", "unfounded", "substantiated", "false"),
            weights=(0.45, 0.3, 0.2, 0.05),
        )[0]

        def record_outcome() -> None:
            allegation_outcome_record(
                allegation=case.current().allegation,
                outcome=Allegation.Outcome(outcome),
                notes=text.ALLEGATION_NOTES[outcome],
            )

        self._step(concluded, record_outcome)
        case.last = concluded
        self._close(case, [text.ALLEGATION_CLOSURE.replace("{outcome}", outcome)], 1, 3)

    # --- long-running cases ---

    def _protection_plan_arc(self, child: Child) -> None:
        """Concerns that build up over months to a child protection plan, still open today."""
        rng = self.rng
        first = self._term_day_near(self.today - dt.timedelta(days=rng.randint(390, 430)))
        primary = child.year_on(first) <= 6
        self._concern(
            [child],
            TEMPLATES_BY_KEY["neglect_hungry" if primary else "neglect_kit"],
            first,
            level="low",
        )
        second = _add_term_days(first, rng.randint(30, 40))
        self._concern(
            [child],
            TEMPLATES_BY_KEY["neglect_lice" if primary else "attendance_absent"],
            second,
            level="medium",
        )
        third = _add_term_days(second, rng.randint(35, 50))
        template = TEMPLATES_BY_KEY["neglect_home_alone" if primary else "da_disclosure"]
        case = self._concern([child], template, third, level="high", follow_up=False)
        if case is None:
            return
        self._status(case, self._after(case.last, 1, 4), Concern.Status.OPEN)
        referred = self._referral(case, 0)
        strategy = self._strategy_meeting(case, referred)
        conference = self._moment(_add_term_days(_local_day(strategy), 15), 10 * 60, 13 * 60)
        self._contact(
            case,
            child,
            conference,
            summary=case.fill(text.MEETINGS["icpc"][0]),
            participants=f"{text.CONFERENCE_CHAIR}; {self._contact_name('front_door')} "
            f"(social worker); {self._title(self.dsl)}; "
            + case.fill("{Adult_rel}; ")
            + f"{self._contact_name('school_nurse')} (school nurse); "
            f"{self._contact_name('police')} (police)",
        )
        self._step(
            conference + dt.timedelta(minutes=30),
            lambda: pupil_update(
                pupil=child.enrolled, actor_id=self.dsl.user_id, child_protection_plan=True
            ),
        )
        self._document(self._days_after(conference, 5, 8), "icpc_minutes", child=child, case=case)
        self._plan_meetings(case, child, conference, "core_group", every=(30, 35), calls=True)
        review = self._moment(_add_term_days(_local_day(conference), 60), 10 * 60, 12 * 60)
        if review < self.now:
            self._school_report_shared(case, child, review)
        while review < self.now:
            self._contact(
                case,
                child,
                review,
                summary=case.fill(text.MEETINGS["review_conference"][0]),
                participants=f"{text.CONFERENCE_CHAIR}; {self._contact_name('front_door')} "
                f"(social worker); {self._title(self.dsl)}; " + case.fill("{Adult_rel}"),
            )
            review = self._moment(_add_term_days(_local_day(review), 120), 10 * 60, 12 * 60)

    def _plan_meetings(
        self,
        case: _Case,
        child: Child,
        start: dt.datetime,
        kind: str,
        *,
        every: tuple[int, int],
        calls: bool,
    ) -> None:
        """Regular meetings (core group, child in need) from `start` until today."""
        summaries = text.MEETINGS[kind]
        title = "social worker" if kind != "pep" else "virtual school"
        at = self._days_after(start, 8, 12)
        number = 0
        while at < self.now:
            self._contact(
                case,
                child,
                at,
                summary=case.fill(summaries[number % len(summaries)]),
                participants=f"{self._contact_name('front_door')} ({title}); "
                + case.fill("{Adult_rel}; ")
                + f"{self._title(self.dsl)}; {self._title(self.staff)}",
            )
            if calls:
                self._call(
                    case,
                    self._days_after(at, 8, 14),
                    "front_door",
                    self.rng.choice(text.PHONE_CALLS["social_worker_update"]),
                )
            number += 1
            at = self._days_after(at, *every)

    def _school_report_shared(self, case: _Case, child: Child, conference: dt.datetime) -> None:
        """The social worker asks for the school's report before a review conference."""
        received = self._moment(_school_days_before(_local_day(conference), 8), 9 * 60, 11 * 60)
        decided = self._after(received, 60, 180)
        written = self._days_after(decided, 1, 2)
        self._document(written, "school_report", child=child, case=case)
        shared = self._after(written, 20, 60)
        told = self._days_after(shared, 1, 2)
        self._disclosure(
            child,
            agency_key="front_door",
            received=received,
            requested_by=f"{self._contact_name('front_door')}, social worker",
            summary=case.fill(
                "A school report for {name}'s review child protection conference: attendance, "
                "presentation, progress against the plan and {name}'s views."
            ),
            decided=decided,
            approver=self.dsl,
            bases=(LawfulBasis.PUBLIC_TASK, LawfulBasis.SAFEGUARDING),
            notes="Share the school report only: no other pupils' information.",
            shared=shared,
            shared_summary="The school report for the review conference, by secure email.",
            document_key="school_report",
            told=told,
            told_by=f"{self._title(self.dsl)}, with {child.first_name}'s class teacher",
        )

    def _child_in_need_arc(self, child: Child) -> None:
        rng = self.rng
        day = self._term_day_near(self.today - dt.timedelta(days=rng.randint(200, 380)))
        primary = child.year_on(day) <= 6
        keys = (
            ("mh_parent", "emotional_stupid", "da_disclosure", "young_carer_late")
            if primary
            else ("mh_empty", "attendance_pattern", "da_disclosure", "young_carer_late")
        )
        case = self._concern(
            [child], TEMPLATES_BY_KEY[rng.choice(keys)], day, level="high", follow_up=False
        )
        if case is None:
            return
        self._status(case, self._after(case.last, 1, 4), Concern.Status.OPEN)
        self._referral(case, 1)
        self._call(
            case,
            self._days_after(case.last, 4, 6),
            "front_door",
            text.PHONE_CALLS["social_worker_update"][0],
        )
        plan_start = self._days_after(case.last, 20, 30)
        self._contact(
            case,
            child,
            plan_start,
            summary=case.fill(text.MEETINGS["cin"][0]),
            participants=f"{self._contact_name('front_door')} (social worker); "
            + case.fill("{Adult_rel}; ")
            + f"{self._title(self.dsl)}; {self._title(self.staff)}",
        )
        self._step(
            plan_start + dt.timedelta(minutes=20),
            lambda: pupil_update(
                pupil=child.enrolled, actor_id=self.dsl.user_id, child_in_need_plan=True
            ),
        )
        self._plan_meetings(case, child, plan_start, "cin", every=(35, 45), calls=False)

    def _looked_after_arc(self, child: Child) -> None:
        """Termly personal education plan meetings and the virtual school's calls."""
        values_case = _Case(
            children=[child],
            template=TEMPLATES_BY_KEY["mh_parent"],
            level="low",
            values=self._values(child, None, self.onboarding, None),
            screener=self.dsl,
            last=self.onboarding,
        )
        number = 0
        for year in range(academic_year(self.start), academic_year(self.today) + 1):
            for month, day in ((10, 8), (2, 4), (6, 10)):
                meeting_day = dt.date(year + (month < 9), month, day)
                if not self.start <= meeting_day < self.today or not child.on_roll(meeting_day):
                    continue
                at = self._moment(self._term_day_near(meeting_day), 13 * 60 + 30, 15 * 60)
                self._contact(
                    None,
                    child,
                    at,
                    summary=values_case.fill(text.MEETINGS["pep"][number % 3]),
                    participants=f"{self._title(self.dsl)} (designated teacher); "
                    f"{self._contact_name('virtual_school')} (virtual school); "
                    f"{self._contact_name('front_door')} (social worker); "
                    + values_case.fill("{adult} (foster carer); {name}"),
                    author=self.dsl,
                )
                if number == 0:
                    self._document(self._days_after(at, 2, 4), "pep", child=child)
                if number % 2 == 1:
                    self._contact(
                        None,
                        child,
                        self._days_after(at, 10, 20),
                        summary=values_case.fill(
                            text.PHONE_CALLS["virtual_school"][0],
                            contact=self._contact_name("virtual_school"),
                        ),
                        agency=self._agency_name("virtual_school"),
                        person=self._contact_name("virtual_school"),
                        author=self.dsl,
                    )
                number += 1

    # --- the rest of the eighteen months ---

    def _pick_child(
        self, template: text.Template, day: dt.date, exclude: Sequence[Child] = ()
    ) -> Child | None:
        fits = [
            c for c in self._on_roll(day, exclude=exclude) if self._template_fits(template, c, day)
        ]
        if not fits:
            return None
        return self.rng.choices(fits, weights=[c.weight for c in fits])[0]

    def _pick_other(self, child: Child, day: dt.date) -> Child | None:
        year = child.year_on(day)
        near = [
            c
            for c in self._on_roll(day, exclude=[child, *child.siblings])
            if abs(c.year_on(day) - year) <= 1
        ]
        return self.rng.choice(near) if near else None

    def _single(
        self, day: dt.date, templates: Sequence[text.Template], **options: Any
    ) -> _Case | None:
        rng = self.rng
        for _ in range(12):
            template = rng.choices(templates, weights=[t.weight for t in templates])[0]
            child = self._pick_child(template, day)
            if child is None:
                continue
            other = self._pick_other(child, day) if template.other_pupil else None
            if template.other_pupil and other is None:
                continue
            children = [child]
            if template.notification:
                children += [s for s in child.siblings if s.on_roll(day)]
            elif other is not None and rng.random() < (
                0.5 if "child-on-child" in template.categories else 0.25
            ):
                children.append(other)
            return self._concern(children, template, day, other=other, **options)
        return None

    def _singles(self, count: int) -> None:
        days = [
            self.start + dt.timedelta(days=n) for n in range(14, (self.today - self.start).days)
        ]
        weights = [
            (1.0 if is_term_day(d) else 0.03 if is_school_day(d) else 0.0)
            * MONTH_WEIGHTS.get(d.month, 1.0)
            for d in days
        ]
        for day in sorted(self.rng.choices(days, weights=weights, k=max(count, 0))):
            self._single(day, text.TEMPLATES)

    def _allegation(self) -> None:
        candidates = [
            self.start + dt.timedelta(days=n)
            for n in range(60, (self.today - self.start).days - 40)
        ]
        day = self._term_day_near(self.rng.choice(candidates))
        self._single(day, text.ALLEGATION_TEMPLATES)

    def _unscreened(self) -> None:
        """New concerns nobody has screened yet: one well past the 24 school hours."""
        calm = [t for t in text.TEMPLATES if t.levels[2] == 0 and not t.told_dsl]
        self._single(_school_days_before(self.today, 3), calm, screen=False)
        local_now = self.now.astimezone(LONDON)
        for _ in range(self.rng.randint(1, 2)):
            if is_school_day(self.today) and local_now.time() > dt.time(11, 0):
                # This morning, recorded a few minutes later: before now.
                minutes_ago = self.rng.randint(45, 150)
                occurred = self.now - dt.timedelta(minutes=minutes_ago)
                self._single(self.today, calm, occurred=occurred, screen=False)
            else:
                self._single(_school_days_before(self.today, 1), calm, screen=False)

    # --- information sharing ---

    def _disclosure(
        self,
        child: Child,
        *,
        agency_key: str,
        received: dt.datetime,
        requested_by: str,
        summary: str,
        decided: dt.datetime | None = None,
        approver: Person | None = None,
        bases: Sequence[str] = (),
        notes: str = "",
        refused: bool = False,
        shared: dt.datetime | None = None,
        shared_summary: str = "",
        document_key: str = "",
        told: dt.datetime | None = None,
        told_by: str = "",
        not_told_reason: str = "",
    ) -> None:
        state: dict[str, Disclosure] = {}

        def request() -> None:
            state["disclosure"] = disclosure_request_record(
                pupil=child.enrolled,
                agency=self.agencies[agency_key],
                contact=self.contacts.get(agency_key),
                requested_by=requested_by,
                request_summary=summary,
                request_received_at=timezone.now(),
                author=self.dsl,
            )

        self._step(received, request)
        if decided is None or approver is None:
            return
        self._step(
            decided,
            lambda: state.update(
                disclosure=disclosure_decide(
                    disclosure=state["disclosure"],
                    approve=not refused,
                    approver=approver,
                    lawful_basis=bases,
                    notes=notes,
                )
            ),
        )
        if shared is not None:

            def share() -> None:
                issued = self.documents.get((document_key, child.enrolled.pk))
                state["disclosure"] = disclosure_record_shared(
                    disclosure=state["disclosure"],
                    shared_summary=shared_summary,
                    shared_at=timezone.now(),
                    shared_via=Disclosure.SharedVia.SECURE_EMAIL,
                    author=self.dsl,
                    documents=[issued] if issued else [],
                )

            self._step(shared, share)
        if told is not None:
            self._step(
                told,
                lambda: disclosure_record_child_informed(
                    disclosure=state["disclosure"],
                    informed=not not_told_reason,
                    informed_at=timezone.now() if not not_told_reason else None,
                    informed_by=told_by,
                    reason_not_informed=not_told_reason,
                    author=self.dsl,
                ),
            )

    def _police_request(self) -> None:
        """The police ask for a child's records for a joint investigation; the head approves."""
        for case, referred in self.high_cases:
            if not case.template.police or referred > self.now - dt.timedelta(days=60):
                continue
            received = self._days_after(referred, 3, 6)
            decided = self._after(received, 120, 300)
            shared = self._after(decided, 30, 90)
            self._disclosure(
                case.child,
                agency_key="police",
                received=received,
                requested_by=f"DC {self._contact_name('police')}, child abuse investigation team",
                summary=case.fill(
                    "Copies of the school's record of {name}'s disclosure and of {his} attendance "
                    "this school year, for the joint section 47 investigation."
                ),
                decided=decided,
                approver=self.head,
                bases=(LawfulBasis.CRIME, LawfulBasis.PUBLIC_TASK, LawfulBasis.SAFEGUARDING),
                notes="Share the concern record and the attendance summary only.",
                shared=shared,
                shared_summary=case.fill(
                    "The concern record and {name}'s attendance summary, by secure email."
                ),
                told=self._after(shared, 10, 30),
                not_told_reason=case.fill(
                    f"DC {self._contact_name('police')} asked that {{name}} is not told while the "
                    "investigation is live. To be revisited when it ends."
                ),
            )
            return

    def _refused_request(self, child: Child) -> None:
        """A solicitor in family proceedings asks for the whole file: the head refuses."""
        received = self._moment(
            self._term_day_near(self.today - dt.timedelta(days=50)), 10 * 60, 12 * 60
        )
        if not child.on_roll(_local_day(received)):
            return
        name = child.first_name
        self._disclosure(
            child,
            agency_key="solicitors",
            received=received,
            requested_by=f"{self._contact_name('solicitors')}, solicitor acting for a parent",
            summary=f"A copy of {name}'s full safeguarding file for private law proceedings "
            "(child arrangements).",
            decided=self._days_after(received, 1, 2),
            approver=self.head,
            refused=True,
            notes="Not shared: the request is for private family law proceedings. The school will "
            "disclose under a court order, or to the court's own officer on request. Releasing "
            f"the whole file is not in {name}'s best interests.",
        )

    def _pending_request(self, child: Child) -> None:
        """A request that came in this week and waits for the DSL's or head's decision."""
        received = self._moment(_school_days_before(self.today, 2), 10 * 60, 12 * 60)
        self._disclosure(
            child,
            agency_key="school_nurse",
            received=received,
            requested_by=f"{self._contact_name('school_nurse')}, school nurse",
            summary=f"Attendance and any health-related concerns this school year, for "
            f"{child.first_name}'s review health assessment.",
        )

    def _key_holder_grant(self) -> None:
        key_holder = self.people.get(Role.KEY_HOLDER)
        if key_holder is None:
            return
        years = [5, 6] if self.school.phase in ("primary", "nursery") else [10, 11]
        key_holder_access_set(
            school=self.school,
            key_holder=key_holder,
            category_ids=[
                self.categories[c] for c in ("bullying", "online-safety") if c in self.categories
            ],
            year_groups=years,
            actor=self.people[Role.DSL],
        )
