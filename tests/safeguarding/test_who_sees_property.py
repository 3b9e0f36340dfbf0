"""Who sees what, checked by generated cases over every way out of the school's records.

Each example builds a school's records at random: pupils across year groups, concerns in one or
more categories (some restricted), Operation Encompass notifications, allegations against a
member of staff (the adult chosen at random), and a key holder's grant by category and year
group. Every record carries a unique sentinel word. Then every reader asks every way:

- readers: each role of the school, an API key of each scope (made by the DSL), the trust's
  safeguarding lead on the trust portal, and the DSL of another school of the trust;
- ways: the pages (home page dashboard, concerns inbox, pupil search, each pupil's page and
  chronology, each concern and allegation page, *My tasks*), the REST API (with a session or a
  key), the emails the outbox sends, a full chronology export's PDF text and a subject access
  release's PDF text.

The sentinels found are compared with a few lines of rule written here from docs/rules.md ("Who
reads which records", "Operation Encompass", "Allegations against staff", "Exports", "Subject
access", "No side channels") and docs/api.md ("Keys and scopes"), not with the product's
selectors. Bounded for CI by WHO_SEES_ALL below (docs/security.md, "Need to know").
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client, TestCase
from django.utils import timezone
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from safeguarding.models import Concern, Pupil
from safeguarding.services.access import key_holder_access_set
from safeguarding.services.concerns import concern_record
from safeguarding.services.encompass import encompass_notification_record
from tenants.models import School
from tests.api.helpers import ALL_SCOPES, key_client, make_key
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, person
from tests.safeguarding.test_need_to_know_property import READ_EVERYTHING, ROLES
from trustplatform.accounts.models import Role
from trustplatform.outbox.models import OutboxMessage
from trustplatform.outbox.services import outbox_send
from trustplatform.transfers.services import transfer_accept, transfer_start

# Each example is read by fifteen readers in some thirty ways each; WHO_SEES_ALL_EXAMPLES raises
# the count for a longer hunt.
WHO_SEES_ALL = settings(
    max_examples=int(os.environ.get("WHO_SEES_ALL_EXAMPLES", "3")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=False,
)

# --- the oracle: the written rules, again, in a few lines -----------------------------------

# The school's roles, and those who read every record (docs/rules.md, "Who reads which
# records"), as the need-to-know property test writes them down.
GRANTABLE = ("neglect", "online-safety", "bullying", "mental-health")
ALWAYS_RESTRICTED = "sexual-abuse"
YEARS = (3, 4, 5, 6)
# Readers that are not a role of the school.
TRUST_LEAD = "trust lead"
OTHER_SCHOOL = "DSL of another school"
KEYS = tuple(f"key {scope}" for scope in ALL_SCOPES)
Reader = Role | str


@dataclass
class PlannedConcern:
    pupils: list[int]
    codes: list[str]


@dataclass
class PlannedAllegation:
    pupil: int
    adult: Role | None  # None: an adult named in words, with no account


@dataclass
class PlannedTransfer:
    """A child's file received from another school of the trust."""

    year: int
    concerns: list[list[str]]  # the codes of each concern recorded there
    with_other_child: bool  # the first concern there also names a child of that school
    allegation: bool  # an allegation about a member of that school's staff


@dataclass
class Plan:
    years: list[int]
    concerns: list[PlannedConcern]
    notifications: list[int]  # the pupil of each Operation Encompass notification
    allegations: list[PlannedAllegation]
    granted_codes: list[str]
    granted_years: list[int]
    transfers: list[PlannedTransfer] = field(default_factory=list)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    years = draw(st.lists(st.sampled_from(YEARS), min_size=1, max_size=2))
    pupil = st.integers(0, len(years) - 1)
    return Plan(
        years=years,
        concerns=draw(
            st.lists(
                st.builds(
                    PlannedConcern,
                    pupils=st.lists(pupil, min_size=1, max_size=len(years), unique=True),
                    codes=st.lists(
                        st.sampled_from((*GRANTABLE, ALWAYS_RESTRICTED)),
                        min_size=1,
                        max_size=2,
                        unique=True,
                    ),
                ),
                min_size=1,
                max_size=2,
            )
        ),
        notifications=draw(st.lists(pupil, max_size=1)),
        allegations=draw(
            st.lists(
                st.builds(
                    PlannedAllegation,
                    pupil=pupil,
                    adult=st.sampled_from(
                        (None, Role.DSL, Role.HEADTEACHER, Role.DEPUTY_DSL, Role.KEY_HOLDER)
                    ),
                ),
                max_size=1,
            )
        ),
        granted_codes=draw(st.lists(st.sampled_from(GRANTABLE), min_size=1, unique=True)),
        granted_years=draw(st.lists(st.sampled_from(YEARS), min_size=1, unique=True)),
        transfers=draw(
            st.lists(
                st.builds(
                    PlannedTransfer,
                    year=st.sampled_from(YEARS),
                    concerns=st.lists(
                        st.lists(
                            st.sampled_from((*GRANTABLE, ALWAYS_RESTRICTED)),
                            min_size=1,
                            max_size=2,
                            unique=True,
                        ),
                        min_size=1,
                        max_size=2,
                    ),
                    with_other_child=st.booleans(),
                    allegation=st.booleans(),
                ),
                max_size=1,
            )
        ),
    )


# Always tried first, so every run holds each kind of record and each adult an allegation is
# about: a restricted concern, a concern across two year groups, a notification, an allegation.
EVERY_KIND = [
    Plan(
        years=[5, 4],
        concerns=[
            PlannedConcern(pupils=[0], codes=["neglect", ALWAYS_RESTRICTED]),
            PlannedConcern(pupils=[0, 1], codes=["neglect"]),
            PlannedConcern(pupils=[0], codes=["bullying"]),
        ],
        notifications=[0],
        allegations=[PlannedAllegation(pupil=0, adult=adult)],
        # Domestic abuse granted: an Operation Encompass notification stays out of reach all the
        # same, as its restricted category never counts.
        granted_codes=["neglect", "bullying", "domestic-abuse"],
        granted_years=[5],
        transfers=[
            PlannedTransfer(
                year=5,
                concerns=[["neglect"], ["bullying", ALWAYS_RESTRICTED]],
                with_other_child=True,
                allegation=True,
            )
        ],
    )
    for adult in (Role.DSL, Role.HEADTEACHER)
]


def _key_holder_reads(plan: Plan, concern: PlannedConcern) -> bool:
    """Wholly inside the grant: every category granted and not restricted, every pupil's year."""
    return set(concern.codes) <= set(plan.granted_codes) and all(
        plan.years[i] in plan.granted_years for i in concern.pupils
    )


def _allegation_handlers(adult: Role | None) -> frozenset[Role]:
    """docs/rules.md, "Allegations against staff": the DSL and the headteacher; the headteacher
    alone when the DSL is the adult; never the adult (no case manager is named here)."""
    return frozenset({Role.DSL, Role.HEADTEACHER} - {adult})


@dataclass
class Expected:
    """For each sentinel: who must see it somewhere, and who may (a must is also a may)."""

    must: dict[str, set[Reader]] = field(default_factory=dict)
    may: dict[str, set[Reader]] = field(default_factory=dict)
    # pupil index -> the sentinels its full export and a subject access release hold
    chronology: dict[int, set[str]] = field(default_factory=dict)

    def add(
        self, word: str, must: AbstractSet[Reader], may: AbstractSet[Reader] = frozenset()
    ) -> None:
        self.must[word] = set(must)
        self.may[word] = set(must) | set(may)


def oracle(plan: Plan, words: Words) -> Expected:
    expected = Expected()
    expected.chronology = {i: set() for i in range(len(plan.years))}
    for i, year in enumerate(plan.years):
        key_holder = {Role.KEY_HOLDER} if year in plan.granted_years else set()
        # A pupil key reads the pupil list as its holder (the DSL); a records key reads
        # chronologies and concerns that name them; staff read the receipts of their own
        # concerns; the school administrator enrols pupils by name.
        expected.add(
            words.pupils[i],
            must=set(READ_EVERYTHING) | key_holder | {"key read_pupils"},
            may={"key read_records", Role.STAFF, Role.SCHOOL_ADMIN},
        )
    for planned, word in zip(plan.concerns, words.concerns, strict=True):
        key_holder = {Role.KEY_HOLDER} if _key_holder_reads(plan, planned) else set()
        expected.add(
            word,
            must=set(READ_EVERYTHING) | key_holder | {"key read_records"},
            may={Role.STAFF},  # its author's receipt
        )
        for i in planned.pupils:
            expected.chronology[i].add(word)
    for i, word in zip(plan.notifications, words.notifications, strict=True):
        # Restricted: only those who read every record, a key holder's grant never counts.
        expected.add(word, must=set(READ_EVERYTHING) | {"key read_records"})
        expected.chronology[i].add(word)
    for planned_allegation, word in zip(plan.allegations, words.allegations, strict=True):
        handlers = _allegation_handlers(planned_allegation.adult)
        # Never in a child's chronology, search, export or subject access release. A records
        # key acts as the DSL; whether the API lists an allegation is not written down, so it may.
        expected.add(
            word,
            must=set(handlers),
            may={Role.STAFF} | ({"key read_records"} if Role.DSL in handlers else set()),
        )
    for k, (planned_transfer, moved) in enumerate(
        zip(plan.transfers, words.transfers, strict=True)
    ):
        expected.chronology[len(plan.years) + k] = set(moved.concerns)
        # docs/transfers.md: the file arrives naming this child only, under the same rules as a
        # record made here; an allegation never moves; the other school's child stays there.
        key_holder = {Role.KEY_HOLDER} if planned_transfer.year in plan.granted_years else set()
        expected.add(
            moved.pupil,
            must=set(READ_EVERYTHING) | key_holder | {"key read_pupils"},
            may={"key read_records"},
        )
        for codes, word in zip(planned_transfer.concerns, moved.concerns, strict=True):
            inside = set(codes) <= set(plan.granted_codes) and bool(key_holder)
            expected.add(
                word,
                must=set(READ_EVERYTHING)
                | ({Role.KEY_HOLDER} if inside else set())
                | {"key read_records"},
            )
        for word in (*moved.left_behind,):
            expected.add(word, must=set())
    return expected


# --- building the records -------------------------------------------------------------------


@dataclass
class Words:
    pupils: list[str] = field(default_factory=list)
    concerns: list[str] = field(default_factory=list)
    notifications: list[str] = field(default_factory=list)
    allegations: list[str] = field(default_factory=list)
    transfers: list[Moved] = field(default_factory=list)


@dataclass
class Moved:
    pupil: str
    concerns: list[str]
    left_behind: list[str]  # the other school's child and the allegation there


_serial = iter(range(10**9))


def _sentinel(kind: str) -> str:
    number, letters = next(_serial), ""
    while True:
        number, digit = divmod(number, 26)
        letters += chr(ord("a") + digit)
        if not number:
            break
    return f"Wsn{kind}{letters}x"


_SENTINEL = re.compile(r"Wsn(?:pupil|acc|enc|alg|trf|kept)[a-z]+x")


@dataclass
class Built:
    words: Words
    pupil_ids: list[int]
    concern_ids: list[int]  # every concern, notification and allegation


def _build(world: World, school: School, plan: Plan) -> Built:
    words = Words()
    staff = person(world.person("a", Role.STAFF), Role.STAFF)
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    pupil_ids = []
    for year in plan.years:
        name = _sentinel("pupil")
        pupil_ids.append(
            Pupil.objects.create(
                upn=f"W{next(_serial):012d}",
                legal_first_name=name,
                legal_last_name="Penhallow",
                date_of_birth=dt.date(2016, 3, 4),
                sex=Pupil.Sex.FEMALE,
                year_group=year,
                form=f"{year}P",
            ).pk
        )
        words.pupils.append(name)
    concern_ids = []
    for planned in plan.concerns:
        word = _sentinel("acc")
        concern_ids.append(
            concern_record(
                school=school,
                author=staff,
                pupil_ids=[pupil_ids[i] for i in planned.pupils],
                category_ids=category_ids(*planned.codes),
                account=f"Said {word} at lunch.",
            ).pk
        )
        words.concerns.append(word)
    for i in plan.notifications:
        word = _sentinel("enc")
        concern_ids.append(
            encompass_notification_record(
                school=school,
                author=dsl,
                police_force="Wessex Constabulary",
                incident_reference="WX/2026/1",
                incident_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
                notification=f"Police attended; {word} was present.",
                pupil_id=pupil_ids[i],
            ).pk
        )
        words.notifications.append(word)
    for planned_allegation in plan.allegations:
        word = _sentinel("alg")
        adult = planned_allegation.adult
        concern_ids.append(
            concern_record(
                school=school,
                author=staff,
                pupil_ids=[pupil_ids[planned_allegation.pupil]],
                category_ids=category_ids("allegation-staff"),
                account=f"The adult said {word} to the child.",
                adult_user_id=world.person("a", adult).pk if adult else None,
                adult_name="" if adult else "Mr Visiting Coach",
                adult_role="" if adult else "Visiting sports coach",
            ).pk
        )
        words.allegations.append(word)
    for planned_transfer in plan.transfers:
        moved, pupil_id = _received(world, school, planned_transfer)
        words.transfers.append(moved)
        pupil_ids.append(pupil_id)
        concern_ids += Concern.objects.filter(pupils=pupil_id).values_list("pk", flat=True)
    key_holder_access_set(
        school=school,
        key_holder=world.person("a", Role.KEY_HOLDER),
        category_ids=category_ids(*plan.granted_codes),
        year_groups=plan.granted_years,
        actor=world.person("a", Role.DSL),
    )
    return Built(words=words, pupil_ids=pupil_ids, concern_ids=concern_ids)


def _received(world: World, school: School, planned: PlannedTransfer) -> tuple[Moved, int]:
    """Records a child's file at school B, sends it here and accepts it; the received pupil."""
    sender = world.school_b
    moved = Moved(pupil=_sentinel("pupil"), concerns=[], left_behind=[])
    upn = f"W{next(_serial):012d}"
    with schema_context(sender.schema_name):
        staff = person(world.person("b", Role.STAFF), Role.STAFF)
        child, other = (
            Pupil.objects.create(
                upn=code,
                legal_first_name=name,
                legal_last_name="Trevose",
                date_of_birth=dt.date(2016, 5, 6),
                sex=Pupil.Sex.MALE,
                year_group=planned.year,
                form=f"{planned.year}T",
            )
            for code, name in ((upn, moved.pupil), (f"W{next(_serial):012d}", _sentinel("kept")))
        )
        if planned.with_other_child:
            moved.left_behind.append(other.legal_first_name)
        for n, codes in enumerate(planned.concerns):
            word = _sentinel("trf")
            concern_record(
                school=sender,
                author=staff,
                pupil_ids=[child.pk, other.pk]
                if planned.with_other_child and not n
                else [child.pk],
                category_ids=category_ids(*codes),
                account=f"Said {word} in class.",
            )
            moved.concerns.append(word)
        if planned.allegation:
            word = _sentinel("kept")
            concern_record(
                school=sender,
                author=staff,
                pupil_ids=[child.pk],
                category_ids=category_ids("allegation-staff"),
                account=f"The adult said {word} to the child.",
                adult_name="Mr Visiting Coach",
                adult_role="Visiting sports coach",
            )
            moved.left_behind.append(word)
        transfer = transfer_start(
            actor=world.person("b", Role.DSL),
            school=sender,
            pupil=child,
            to_school_id=school.pk,
            moved_on=timezone.localdate(),
        )
    transfer_accept(actor=world.person("a", Role.DSL), school=school, transfer_id=transfer.pk)
    with schema_context(school.schema_name):
        return moved, Pupil.objects.get(upn=upn).pk


# --- reading ------------------------------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(out.split())


def _read(client: Client, method: str, path: str) -> str:
    response = client.post(path, {"q": "Wsn"}) if method == "POST" else client.get(path)
    if response.status_code != 200:
        return ""
    content = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    if response.get("Content-Type", "").startswith("application/pdf"):
        return pdf_text(content)
    return content.decode("utf-8", errors="replace")


def _api_paths(built: Built) -> list[tuple[str, str]]:
    paths = [("GET", "/api/v1/pupils/"), ("GET", "/api/v1/concerns/?page_size=200")]
    for pupil_id in built.pupil_ids:
        paths += [
            ("GET", f"/api/v1/pupils/{pupil_id}/"),
            ("GET", f"/api/v1/pupils/{pupil_id}/chronology/"),
        ]
    for concern_id in built.concern_ids:
        paths += [
            ("GET", f"/api/v1/concerns/{concern_id}/"),
            ("GET", f"/api/v1/concerns/{concern_id}/actions/"),
        ]
    return paths


def _page_paths(built: Built) -> list[tuple[str, str]]:
    paths = [
        ("GET", "/"),
        ("GET", "/concerns/"),
        ("GET", "/concerns/mine/"),
        ("POST", "/pupils/"),
        ("GET", "/alerts/"),
        ("GET", "/tasks/"),
        ("GET", "/statistics/"),
        ("GET", "/statistics/?format=csv"),
    ]
    for pupil_id in built.pupil_ids:
        paths += [("GET", f"/pupils/{pupil_id}/"), ("GET", f"/pupils/{pupil_id}/chronology/")]
    for concern_id in built.concern_ids:
        paths += [("GET", f"/concerns/{concern_id}/"), ("GET", f"/allegations/{concern_id}/")]
    return paths


def _seen(client: Client, paths: list[tuple[str, str]]) -> dict[str, set[str]]:
    return {f"{m} {p}": set(_SENTINEL.findall(_read(client, m, p))) for m, p in paths}


def _may_be_on(way: str, built: Built, expected: Expected) -> set[str]:
    """The sentinels a way may hold at all, whoever reads it (their reader checked apart)."""
    names = {*built.words.pupils, *(moved.pupil for moved in built.words.transfers)}
    if way == "POST /pupils/":
        return names
    for i, pupil_id in enumerate(built.pupil_ids):
        if way.endswith(f"/pupils/{pupil_id}/chronology/"):
            return names | expected.chronology[i]
    return set(expected.may)


_COUNT = re.compile(r'<h2 id="[a-z-]+-h">([A-Za-z ]+?) <span class="count">(\d+)</span>')


def _counts(page: str) -> dict[str, int]:
    """The home page's sections and the count each shows."""
    return {title: int(count) for title, count in _COUNT.findall(page)}


def _readable(expected: Expected, role: Role, kinds: tuple[str, ...]) -> int:
    """How many records of these kinds the role must be able to open."""
    return sum(
        1
        for word, readers in expected.must.items()
        if word.startswith(tuple(f"Wsn{kind}" for kind in kinds)) and role in readers
    )


def _export_text(client: Client, pupil_id: int) -> str:
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/pupils/{pupil_id}/exports/new/", {"version": "full"})
    assert response.status_code == 302, response.status_code
    return _read(client, "GET", f"{response['Location']}download/")


def _release_text(client: Client, pupil_id: int) -> str:
    """A subject access request answered with no exemption and no redaction."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            f"/pupils/{pupil_id}/subject-access/new/",
            {
                "requester_kind": "parent",
                "requester": "Ms Example, mother",
                "received_on": timezone.localdate().isoformat(),
            },
        )
        assert response.status_code == 302, response.status_code
        sar = response["Location"]
        response = client.post(f"{sar}release/", {"released_to": "Ms Example, by post"})
        assert response.status_code == 302, response.status_code
    return _read(client, "GET", f"{sar}download/")


def _emails_sent() -> str:
    for message_id in OutboxMessage.objects.filter(sent_at__isnull=True).values_list(
        "pk", flat=True
    ):
        outbox_send(message_id=message_id)
    return "\n".join(
        f"{m.subject}\n{m.body}\n" + "\n".join(str(a[0]) for a in getattr(m, "alternatives", []))
        for m in mail.outbox
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("private_storage", "tasks_run_when_sent", "mailoutbox")
def test_every_reader_sees_through_every_way_only_what_the_rules_allow(
    world: World, school_a: School
) -> None:
    clients: dict[Reader, Client] = {
        role: school_client(school_a, world.person("a", role)) for role in ROLES
    }
    keys = {f"key {scope}": make_key(world, scope).token for scope in ALL_SCOPES}
    clients |= {name: key_client(school_a, token) for name, token in keys.items()}
    clients[OTHER_SCHOOL] = school_client(school_a, world.person("b", Role.DSL))
    lead = school_client(None, world.person("trust", Role.TRUST_SAFEGUARDING_LEAD))
    dsl = clients[Role.DSL]

    @WHO_SEES_ALL
    @given(plan=plans())
    @example(plan=EVERY_KIND[0])
    @example(plan=EVERY_KIND[1])
    def check(plan: Plan) -> None:
        mail.outbox.clear()
        with transaction.atomic():
            with schema_context(school_a.schema_name):
                built = _build(world, school_a, plan)
                emails = _emails_sent()
            pages, api = _page_paths(built), _api_paths(built)
            by_way: dict[Reader, dict[str, set[str]]] = {
                reader: _seen(client, api if reader in KEYS else pages + api)
                for reader, client in clients.items()
            }
            by_way[TRUST_LEAD] = _seen(
                lead, [("GET", "/portal/statistics/"), ("GET", "/portal/statistics/?format=csv")]
            )
            dashboard = {role: _counts(_read(clients[role], "GET", "/")) for role in ROLES}
            # The first pupil's full export and a subject access release, asked by the DSL.
            export = set(_SENTINEL.findall(_export_text(dsl, built.pupil_ids[0])))
            release = set(_SENTINEL.findall(_release_text(dsl, built.pupil_ids[0])))
            transaction.set_rollback(True)
        expected = oracle(plan, built.words)
        seen = {reader: set().union(*ways.values()) for reader, ways in by_way.items()}
        leaked = sorted(
            f"{reader}: {word}"
            for reader, words in seen.items()
            for word in words
            if reader not in expected.may.get(word, set())
        )
        assert not leaked, f"shown to a reader the rules do not allow: {leaked}"
        missing = sorted(
            f"{reader}: {word}"
            for word, readers in expected.must.items()
            for reader in readers
            if word not in seen[reader]
        )
        assert not missing, f"never shown to a reader the rules allow: {missing}"
        # A child's chronology (page or API) holds the records about that child, never an
        # allegation; a search finds pupils, never a record's text.
        misplaced = sorted(
            f"{reader} on {way}: {word}"
            for reader, ways in by_way.items()
            for way, words in ways.items()
            for word in words - _may_be_on(way, built, expected)
        )
        assert not misplaced, f"shown where the rules do not put it: {misplaced}"
        # The dashboard's counts count what the reader may open, no more (a count of records
        # they cannot open would tell them a restricted record exists).
        for role, counts in dashboard.items():
            if "Awaiting screening" in counts:
                assert counts["Awaiting screening"] == _readable(
                    expected, role, ("acc", "enc", "trf")
                ), role
            if "Allegations" in counts:
                assert counts["Allegations"] == _readable(expected, role, ("alg",)), role
        assert not _SENTINEL.findall(emails), "an email names a child or quotes a record"
        # The pupil's record: every concern and notification naming them, never an allegation,
        # nor a record about another child only. Pupils' names are left out of the comparison
        # (a concern names every child on it).
        records = {w for w in export | release if not w.startswith("Wsnpupil")}
        assert {w for w in export if w in records} == expected.chronology[0], "export"
        assert {w for w in release if w in records} == expected.chronology[0], "release"

    check()
