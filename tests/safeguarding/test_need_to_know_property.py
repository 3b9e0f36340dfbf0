"""Need to know, checked by generated cases: a key holder reaches nothing outside their grant.

Each example builds a school's records at random (pupils across year groups, concerns with one
or more categories, some of them restricted, each concern followed by an action and a document)
and a random grant. Every record carries a unique sentinel word in its text. The test then opens
every page, document and export a key holder could ask for, reads the HTML and the text of every
PDF, and compares the sentinels found with what its own few lines of rule allow (not the
product's selectors): a concern is seen only when every category on it is granted and not
restricted and every pupil on it is in a granted year group; a pupil when their year group is.

The second test does the same for the rules of the newer pages, for every role of the school:
tasks (only the assignee sees a task's pupil and text on /tasks/, and a governor is never given
one), drafts (read by their author alone, and never shown as a record), safeguarding flags (set
by the DSL and deputies only; a flag's note read by those who read every record), and the home
page's dashboard (each reader only what their grant allows).

Bounded for CI by the profiles below (docs/security.md, "Need to know").
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.models import Action, Category, ChronologyEntry, Draft, Pupil
from safeguarding.services.access import key_holder_access_set
from safeguarding.services.concerns import action_add, concern_record
from safeguarding.services.documents import document_upload
from safeguarding.services.drafts import draft_save
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, person
from trustplatform.accounts.models import Role

# About half a minute in CI; NEED_TO_KNOW_EXAMPLES raises it for a longer hunt.
NEED_TO_KNOW = settings(
    max_examples=int(os.environ.get("NEED_TO_KNOW_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=False,
)

# Standard categories a grant may name; any of them may turn restricted after the grant.
GRANTABLE = ("neglect", "online-safety", "bullying", "mental-health")
ALWAYS_RESTRICTED = "sexual-abuse"
CODES = (*GRANTABLE, ALWAYS_RESTRICTED)
YEARS = (3, 4, 5, 6)

_words = itertools.count()


def _sentinel(kind: str) -> str:
    """A word found nowhere else: letters only, so it can also be a pupil's name."""
    number, letters = next(_words), ""
    while True:
        number, digit = divmod(number, 26)
        letters += chr(ord("a") + digit)
        if not number:
            break
    return f"Snt{kind}{letters}x"


def _pdf_with_text(text: str) -> bytes:
    """A one-page PDF whose text layer is `text` (a minimal file pypdf and viewers read)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def _pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@dataclass
class PlannedConcern:
    pupils: list[int]  # indexes into the planned pupils
    codes: list[str]


@dataclass
class Plan:
    years: list[int]  # one per pupil
    concerns: list[PlannedConcern]
    granted_codes: list[str]
    granted_years: list[int]
    restricted_later: list[str]


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    years = draw(st.lists(st.sampled_from(YEARS), min_size=1, max_size=4))
    concern = st.builds(
        PlannedConcern,
        pupils=st.lists(
            st.integers(0, len(years) - 1), min_size=1, max_size=min(3, len(years)), unique=True
        ),
        codes=st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True),
    )
    return Plan(
        years=years,
        concerns=draw(st.lists(concern, min_size=1, max_size=3)),
        granted_codes=draw(st.lists(st.sampled_from(GRANTABLE), min_size=1, unique=True)),
        granted_years=draw(st.lists(st.sampled_from(YEARS), min_size=1, unique=True)),
        restricted_later=draw(st.lists(st.sampled_from(GRANTABLE), max_size=2, unique=True)),
    )


@dataclass
class Built:
    pupil_ids: list[int] = field(default_factory=list)
    concern_ids: list[int] = field(default_factory=list)
    document_ids: list[int] = field(default_factory=list)
    # sentinel -> may the key holder see it (decided by the test's own rule)
    allowed: dict[str, bool] = field(default_factory=dict)


def _may_see_concern(plan: Plan, concern: PlannedConcern) -> bool:
    """The rule, written out again here: wholly inside the grant, or not at all."""
    usable = set(plan.granted_codes) - set(plan.restricted_later)
    return set(concern.codes) <= usable and all(
        plan.years[i] in plan.granted_years for i in concern.pupils
    )


def _build(world: World, school: School, plan: Plan) -> Built:
    built = Built()
    staff = person(world.person("a", Role.STAFF), Role.STAFF)
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    pupils: list[Pupil] = []
    for year in plan.years:
        name = _sentinel("pupil")
        pupils.append(
            Pupil.objects.create(
                upn=f"N{next(_words):012d}",
                legal_first_name=name,
                legal_last_name="Quillfeather",
                date_of_birth=dt.date(2016, 1, 9),
                sex=Pupil.Sex.MALE,
                year_group=year,
                form=f"{year}Q",
            )
        )
        built.allowed[name] = year in plan.granted_years
    built.pupil_ids = [p.pk for p in pupils]
    for planned in plan.concerns:
        visible = _may_see_concern(plan, planned)
        account, follow_up, document_word = (_sentinel(k) for k in ("acc", "act", "doc"))
        concern = concern_record(
            school=school,
            author=staff,
            pupil_ids=[pupils[i].pk for i in planned.pupils],
            category_ids=category_ids(*planned.codes),
            account=f"Said {account} at break.",
        )
        action_add(
            concern=concern,
            actor=dsl,
            kind=Action.Kind.CONVERSATION_PUPIL,
            description=f"Talk about {follow_up}.",
        )
        for i in planned.pupils:
            document = document_upload(
                pupil=pupils[i],
                uploaded_file=SimpleUploadedFile(
                    "note.pdf", _pdf_with_text(f"Letter {document_word}")
                ),
                overview="Letter from the family",
                author=dsl,
                concern=concern,
            )
            built.document_ids.append(document.pk)
        built.concern_ids.append(concern.pk)
        built.allowed |= {account: visible, follow_up: visible, document_word: visible}
    key_holder_access_set(
        school=school,
        key_holder=world.person("a", Role.KEY_HOLDER),
        category_ids=category_ids(*plan.granted_codes),
        year_groups=plan.granted_years,
        actor=world.person("a", Role.DSL),
    )
    # Made restricted after the grant: the grant keeps naming them, the rule must not honour it.
    Category.objects.filter(code__in=plan.restricted_later).update(
        sensitivity=Category.Sensitivity.RESTRICTED
    )
    return built


_SENTINEL = re.compile(r"Snt(?:pupil|acc|act|doc|task|draft|flag)[a-z]+x")


def _read(client: Client, method: str, path: str, data: dict[str, str] | None = None) -> str:
    response = client.post(path, data or {}) if method == "POST" else client.get(path)
    if response.status_code != 200:
        return ""
    content = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    if response.get("Content-Type", "").startswith("application/pdf"):
        return _pdf_text(content)
    return content.decode("utf-8", errors="replace")


def _everything_reachable(client: Client, built: Built) -> str:
    """Every page, file and export a key holder can ask for about these records."""
    pages = [
        ("GET", "/concerns/"),
        ("GET", "/concerns/?status=new"),
        ("GET", "/pupils/"),
        ("POST", "/pupils/"),
        ("GET", "/alerts/"),
        ("GET", "/concerns/mine/"),
        # Statistics are counts, and their pages are not a key holder's; asked all the same.
        ("GET", "/statistics/"),
        ("GET", "/statistics/?format=csv"),
    ]
    for pupil_id in built.pupil_ids:
        pages += [
            ("GET", f"/pupils/{pupil_id}/"),
            ("GET", f"/pupils/{pupil_id}/chronology/"),
            ("GET", f"/pupils/{pupil_id}/documents/"),
            ("GET", f"/pupils/{pupil_id}/exports/"),
            ("GET", f"/pupils/{pupil_id}/disclosures/"),
        ]
    pages += [("GET", f"/concerns/{concern_id}/") for concern_id in built.concern_ids]
    pages += [("GET", f"/documents/{document_id}/") for document_id in built.document_ids]
    texts = [
        _read(client, method, path, {"q": "Snt"} if method == "POST" else None)
        for method, path in pages
    ]
    return "\n".join(texts)


@pytest.mark.django_db
def test_a_key_holder_reaches_only_what_is_wholly_inside_their_grant(
    world: World, school_a: School, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.SCHOOL_DOCUMENTS_ROOT = tmp_path / "documents"
    settings.CLAMD_SOCKET = ""
    settings.CLAMD_HOST = ""
    client = school_client(school_a, world.person("a", Role.KEY_HOLDER))

    @NEED_TO_KNOW
    @given(plan=plans())
    def check(plan: Plan) -> None:
        # Each example in a savepoint rolled back at its end: examples do not see each other.
        with transaction.atomic():
            with schema_context(school_a.schema_name):
                built = _build(world, school_a, plan)
            seen = set(_SENTINEL.findall(_everything_reachable(client, built)))
            transaction.set_rollback(True)
        leaked = sorted(word for word in seen if not built.allowed.get(word, False))
        assert not leaked, f"outside the grant but shown: {leaked}"
        missing = sorted(word for word, ok in built.allowed.items() if ok and word not in seen)
        assert not missing, f"inside the grant but never shown: {missing}"

    check()


def test_the_sentinel_pdf_is_read_back_by_the_checker() -> None:
    # The checker must be able to read what it looks for, or a leak in a PDF would pass unseen.
    assert "Sntdocabcx" in _pdf_text(_pdf_with_text("Letter Sntdocabcx"))


# --- the newer pages: tasks, drafts, flags and the dashboard, for every role of the school -------

# Fewer examples than above: each one is read by seven people (under a minute in CI);
# WHO_SEES_EXAMPLES raises it for a longer hunt.
WHO_SEES = settings(
    max_examples=int(os.environ.get("WHO_SEES_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=False,
)

ROLES = (
    Role.STAFF,
    Role.KEY_HOLDER,
    Role.DEPUTY_DSL,
    Role.DSL,
    Role.HEADTEACHER,
    Role.GOVERNOR,
    Role.SCHOOL_ADMIN,
)
READ_EVERYTHING = frozenset({Role.DEPUTY_DSL, Role.DSL, Role.HEADTEACHER})
FLAG_SETTERS = frozenset({Role.DEPUTY_DSL, Role.DSL})
RECORDERS = (Role.STAFF, Role.KEY_HOLDER, Role.DEPUTY_DSL, Role.DSL, Role.HEADTEACHER)
FLAGS = tuple(Pupil.SAFEGUARDING_FLAGS)


@dataclass
class PlannedTask:
    concern: int  # index into the planned concerns
    assignee: Role


@dataclass
class WhoPlan:
    years: list[int]
    concerns: list[PlannedConcern]
    tasks: list[PlannedTask]
    draft_authors: list[Role]
    flag_attempts: list[tuple[Role, int, str]]  # who tries, which pupil, which flag
    granted_codes: list[str]
    granted_years: list[int]


@st.composite
def who_plans(draw: st.DrawFn) -> WhoPlan:
    years = draw(st.lists(st.sampled_from(YEARS), min_size=1, max_size=3))
    pupil = st.integers(0, len(years) - 1)
    concerns = draw(
        st.lists(
            st.builds(
                PlannedConcern,
                pupils=st.lists(pupil, min_size=1, max_size=min(2, len(years)), unique=True),
                codes=st.lists(st.sampled_from(GRANTABLE), min_size=1, max_size=2, unique=True),
            ),
            min_size=1,
            max_size=3,
        )
    )
    return WhoPlan(
        years=years,
        concerns=concerns,
        tasks=draw(
            st.lists(
                st.builds(
                    PlannedTask,
                    concern=st.integers(0, len(concerns) - 1),
                    assignee=st.sampled_from(ROLES),
                ),
                max_size=3,
            )
        ),
        draft_authors=draw(st.lists(st.sampled_from(RECORDERS), max_size=2, unique=True)),
        flag_attempts=draw(
            st.lists(
                st.tuples(st.sampled_from(ROLES), pupil, st.sampled_from(FLAGS)),
                max_size=2,
                unique_by=lambda attempt: (attempt[1], attempt[2]),
            )
        ),
        granted_codes=draw(st.lists(st.sampled_from(GRANTABLE), min_size=1, unique=True)),
        granted_years=draw(st.lists(st.sampled_from(YEARS), min_size=1, unique=True)),
    )


@dataclass
class WhoBuilt:
    pupil_ids: list[int] = field(default_factory=list)
    # sentinel -> the roles that may read it anywhere but /tasks/ and the drafts
    readers: dict[str, frozenset[Role]] = field(default_factory=dict)
    # sentinel -> the one role whose /tasks/ page may show it
    task_pages: dict[str, set[Role]] = field(default_factory=dict)
    # sentinel -> the author of the draft it was typed in
    drafts: dict[str, Role] = field(default_factory=dict)


def _key_holder_sees(plan: WhoPlan, concern: PlannedConcern) -> bool:
    return set(concern.codes) <= set(plan.granted_codes) and all(
        plan.years[i] in plan.granted_years for i in concern.pupils
    )


def _build_who(
    world: World, school: School, plan: WhoPlan, clients: dict[Role, Client]
) -> WhoBuilt:
    built = WhoBuilt()
    staff = person(world.person("a", Role.STAFF), Role.STAFF)
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    names: list[str] = []
    for year in plan.years:
        name = _sentinel("pupil")
        pupil = Pupil.objects.create(
            upn=f"N{next(_words):012d}",
            legal_first_name=name,
            legal_last_name="Quillfeather",
            date_of_birth=dt.date(2016, 1, 9),
            sex=Pupil.Sex.FEMALE,
            year_group=year,
            form=f"{year}Q",
        )
        built.pupil_ids.append(pupil.pk)
        names.append(name)
        # The pupil's page: every reader of all records, a key holder of that year group.
        built.readers[name] = READ_EVERYTHING | (
            {Role.KEY_HOLDER} if year in plan.granted_years else set()
        )
    concerns = []
    for planned in plan.concerns:
        account = _sentinel("acc")
        concerns.append(
            concern_record(
                school=school,
                author=staff,
                pupil_ids=[built.pupil_ids[i] for i in planned.pupils],
                category_ids=category_ids(*planned.codes),
                account=f"Said {account} at break.",
            )
        )
        # Its author keeps a receipt; a key holder reads it wholly inside the grant only.
        readers = READ_EVERYTHING | {Role.STAFF}
        if _key_holder_sees(plan, planned):
            readers |= {Role.KEY_HOLDER}
        built.readers[account] = readers
        for i in planned.pupils:
            built.readers[names[i]] |= {Role.STAFF}  # named on the receipt
    for task in plan.tasks:
        planned = plan.concerns[task.concern]
        what = _sentinel("task")
        assignee = person(world.person("a", task.assignee), task.assignee)
        if task.assignee is Role.GOVERNOR:
            # A task names the pupil: a governor is never given one.
            with pytest.raises(ValidationError), transaction.atomic():
                action_add(
                    concern=concerns[task.concern],
                    actor=dsl,
                    kind=Action.Kind.CONVERSATION_PUPIL,
                    description=f"Ask about {what}.",
                    assignee=assignee,
                )
            built.readers[what] = frozenset()
            continue
        action_add(
            concern=concerns[task.concern],
            actor=dsl,
            kind=Action.Kind.CONVERSATION_PUPIL,
            description=f"Ask about {what}.",
            assignee=assignee,
        )
        built.readers[what] = READ_EVERYTHING | (
            {Role.KEY_HOLDER} if _key_holder_sees(plan, planned) else set()
        )
        # On /tasks/: the assignee's own tasks, with the pupils' names and the action's text.
        for word in (what, *(names[i] for i in planned.pupils)):
            built.task_pages.setdefault(word, set()).add(task.assignee)
    for author in plan.draft_authors:
        word = _sentinel("draft")
        draft_save(
            author_id=world.person("a", author).pk,
            form=Draft.Form.CONCERN,
            record_id=0,
            fields={"account": [f"Half written: {word}"]},
        )
        built.drafts[word] = author
        built.readers[word] = frozenset()  # a draft is never a record
    for who, pupil_index, flag in plan.flag_attempts:
        note = _sentinel("flag")
        pupil_id = built.pupil_ids[pupil_index]
        clients[who].post(
            f"/pupils/{pupil_id}/flags/",
            {"flag": flag, "change": "set", f"{flag}-on_date": "2026-09-01", f"{flag}-note": note},
        )
        was_set = ChronologyEntry.objects.filter(
            pupil_id=pupil_id, kind=ChronologyEntry.Kind.FLAG_CHANGE, body=note
        ).exists()
        assert was_set == (who in FLAG_SETTERS), f"{who} setting {flag}: set={was_set}"
        # A flag's change is outside any concern: those who read every record read it.
        built.readers[note] = READ_EVERYTHING
    key_holder_access_set(
        school=school,
        key_holder=world.person("a", Role.KEY_HOLDER),
        category_ids=category_ids(*plan.granted_codes),
        year_groups=plan.granted_years,
        actor=world.person("a", Role.DSL),
    )
    return built


def _may_show(built: WhoBuilt, role: Role, page: str, word: str) -> bool:
    if page == "/tasks/":
        return role in built.task_pages.get(word, set())
    if page.startswith("/drafts/"):
        return built.drafts.get(word) is role
    return role in built.readers.get(word, frozenset())


@pytest.mark.django_db
def test_each_role_sees_only_its_own_tasks_drafts_and_what_its_grant_allows(
    world: World, school_a: School
) -> None:
    clients = {role: school_client(school_a, world.person("a", role)) for role in ROLES}

    @WHO_SEES
    @given(plan=who_plans())
    def check(plan: WhoPlan) -> None:
        with transaction.atomic():
            with schema_context(school_a.schema_name):
                built = _build_who(world, school_a, plan, clients)
            pages = ["/", "/tasks/", "/drafts/concern/0/"] + [
                f"/pupils/{pupil_id}/" for pupil_id in built.pupil_ids
            ]
            shown = {
                (role, page): set(_SENTINEL.findall(_read(clients[role], "GET", page)))
                for role in ROLES
                for page in pages
            }
            transaction.set_rollback(True)
        leaked = sorted(
            f"{role.value} on {page}: {word}"
            for (role, page), words in shown.items()
            for word in words
            if not _may_show(built, role, page, word)
        )
        assert not leaked, f"shown to someone who may not see it: {leaked}"
        # What must be there, so that a page that shows nothing cannot pass.
        for word, roles in built.task_pages.items():
            if word.startswith("Snttask"):
                assert all(word in shown[(role, "/tasks/")] for role in roles), word
        for word, author in built.drafts.items():
            assert word in shown[(author, "/drafts/concern/0/")], word
        for role in READ_EVERYTHING:
            seen = set().union(*(shown[(role, f"/pupils/{p}/")] for p in built.pupil_ids))
            assert {w for w in built.readers if w.startswith("Sntpupil")} <= seen

    check()
