"""What a chronology PDF holds: the chronology page's filters, every field of each entry, the
order things happened, and other children's names replaced in the external version.

The PDFs are made by the export task, run in this process when the request's transaction would
commit (tests/safeguarding/test_exports.py says how), and read back with `pdftotext`.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from dataclasses import dataclass

import pytest
import time_machine
from django.template.loader import render_to_string
from django.test import Client, TestCase
from django.utils import timezone
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from safeguarding.export_pdf import StaffNames, child_letter, entry_row
from safeguarding.models import (
    AccessAction,
    AccessLogEntry,
    Action,
    ChronologyEntry,
    Concern,
    ExportJob,
    KeyHolderGrant,
    Pupil,
    Source,
)
from safeguarding.services.chronology import chronology_correct
from safeguarding.services.concerns import (
    action_add,
    action_complete,
    concern_record,
    concern_screen,
    contact_record,
)
from safeguarding.services.pupils import family_link_add
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from tests.safeguarding.test_exports import CALL_SUMMARY, STAFF_ACCOUNT, _record
from trustplatform.accounts.models import Role

pytestmark = pytest.mark.usefixtures("tasks_run_when_sent", "private_storage")


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as `pdftotext` reads it, runs of white space made one space."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(out.split())


def _made_with(client: Client, pupil_id: int, data: dict[str, str]) -> ExportJob:
    """Posts the export form as the browser would, and lets the queued task make the PDF."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/pupils/{pupil_id}/exports/new/", data)
    assert response.status_code == 302
    assert response["Location"].startswith("/exports/"), response["Location"]
    job = ExportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
    assert job.status == ExportJob.Status.DONE, job.error
    return job


def _pdf_of(client: Client, job: ExportJob) -> str:
    response = client.get(f"/exports/{job.pk}/download/")
    assert response.status_code == 200
    return pdf_text(b"".join(response.streaming_content))  # type: ignore[attr-defined]


# --- The chronology page's filters ----------------------------------------------------------


def _with_a_meeting_last_week(world: World, pupil: Pupil) -> None:
    contact_record(
        pupil=pupil,
        author=person(world.person("a", Role.DSL), Role.DSL),
        kind=ChronologyEntry.Kind.MEETING,
        occurred_at=timezone.now() - dt.timedelta(days=7),
        summary="Team around the family met about school attendance.",
        participants="Class teacher, family support worker",
    )


def test_an_export_holds_only_the_entries_of_the_kind_the_chronology_was_filtered_to(
    world: World, school_a_entered: School
) -> None:
    dsl = world.person("a", Role.DSL)
    pupil, _ = _record(world, school_a_entered)
    _with_a_meeting_last_week(world, pupil)
    client = school_client(school_a_entered, dsl)

    # The chronology page's "Export as PDF" brings its filters to the export form.
    form = client.get(f"/pupils/{pupil.pk}/exports/?kind=phone_call").text
    assert '<option value="phone_call" selected>' in form
    job = _made_with(client, pupil.pk, {"version": "full", "kind": "phone_call"})

    assert job.filters == {"kind": "phone_call"}
    assert job.entries_count == 1
    text = _pdf_of(client, job)
    assert CALL_SUMMARY in text
    assert STAFF_ACCOUNT not in text
    assert "Team around the family" not in text
    # Every page says the export is partial, and how.
    assert "Only entries of kind Telephone call" in text
    assert "1 entry included" in text
    assert "<dt>Kind</dt><dd>Telephone call</dd>" in client.get(f"/exports/{job.pk}/").text


def test_an_export_holds_only_the_entries_of_the_category_and_dates_chosen(
    world: World, school_a_entered: School
) -> None:
    dsl = world.person("a", Role.DSL)
    pupil, _ = _record(world, school_a_entered)
    _with_a_meeting_last_week(world, pupil)
    neglect = category_ids("neglect")[0]
    today = timezone.localdate()
    client = school_client(school_a_entered, dsl)

    job = _made_with(
        client,
        pupil.pk,
        {
            "version": "external",
            "category": str(neglect),
            "since": (today - dt.timedelta(days=1)).isoformat(),
            "until": today.isoformat(),
        },
    )

    # The concern, its screening and its action: the call and the meeting are in no category.
    assert job.entries_count == 3
    text = _pdf_of(client, job)
    assert STAFF_ACCOUNT in text
    assert CALL_SUMMARY not in text
    assert "Team around the family" not in text
    assert (
        f"Only entries of category Neglect, from {today - dt.timedelta(days=1):%-d %b %Y} "
        f"to {today:%-d %b %Y}"
    ) in text


def test_filters_not_understood_make_no_export_and_say_why(
    world: World, school_a_entered: School
) -> None:
    pupil, _ = _record(world, school_a_entered)
    client = school_client(school_a_entered, world.person("a", Role.DSL))

    for data, message in [
        ({"kind": "everything"}, "Kind: Select a valid choice."),
        ({"since": "2026-03-09", "until": "2026-03-01"}, "The start date is after the end date."),
        ({"since": "yesterday"}, "From: Enter a real date"),
    ]:
        response = client.post(
            f"/pupils/{pupil.pk}/exports/new/", {"version": "full", **data}, follow=True
        )
        assert message in response.text, data
    assert not ExportJob.objects.exists()


def test_filters_never_widen_what_the_export_holds(world: World, school_a_entered: School) -> None:
    dsl = world.person("a", Role.DSL)
    pupil, _ = _record(world, school_a_entered)
    other = make_pupil("Oriel", "Penhaligon")
    contact_record(
        pupil=other,
        author=person(dsl, Role.DSL),
        kind=ChronologyEntry.Kind.PHONE_CALL,
        occurred_at=timezone.now(),
        summary="A call about another child entirely.",
        person="School nurse",
    )
    client = school_client(school_a_entered, dsl)

    # Fields the form does not have are not filters: no other pupil, no earlier versions.
    job = _made_with(
        client,
        pupil.pk,
        {"version": "external", "kind": "phone_call", "pupil": str(other.pk), "superseded": "1"},
    )
    assert job.filters == {"kind": "phone_call"}
    text = _pdf_of(client, job)
    assert CALL_SUMMARY in text
    assert "another child entirely" not in text

    # A key holder granted this pupil's year and category still exports nothing, filters or not.
    key_holder = world.person("a", Role.KEY_HOLDER)
    grant = KeyHolderGrant.objects.create(
        user_id=key_holder.pk,
        year_groups=[pupil.year_group],
        granted_by_id=dsl.pk,
        granted_by_name=dsl.full_name,
    )
    grant.categories.set(category_ids("neglect"))
    refused = school_client(school_a_entered, key_holder).post(
        f"/pupils/{pupil.pk}/exports/new/",
        {"version": "full", "category": str(category_ids("neglect")[0])},
    )
    assert refused.status_code == 404
    assert ExportJob.objects.count() == 1


@pytest.mark.parametrize(
    "who", [("a", Role.STAFF), ("a", Role.KEY_HOLDER), ("b", Role.DSL), ("c", Role.DSL), None]
)
def test_a_filtered_export_is_refused_to_weaker_roles_other_schools_and_anonymous(
    world: World, school_a: School, who: tuple[str, Role] | None
) -> None:
    from django_tenants.utils import schema_context  # noqa: PLC0415

    with schema_context(school_a.schema_name):
        pupil = make_pupil("Tamsin", "Quillfeather")
    client = school_client(school_a, world.person(*who) if who else None)

    asked = client.get(f"/pupils/{pupil.pk}/exports/?kind=phone_call")
    made = client.post(
        f"/pupils/{pupil.pk}/exports/new/", {"version": "full", "kind": "phone_call"}
    )

    for response in (asked, made):
        if who is None:
            assert response.status_code == 302
            assert "/login/" in response["Location"]
        else:
            assert response.status_code == 404
    with schema_context(school_a.schema_name):
        assert not ExportJob.objects.exists()
        assert not AccessLogEntry.objects.filter(action=AccessAction.EXPORTED).exists()


def test_the_export_action_for_the_chronology_page_carries_its_filters() -> None:
    html = render_to_string(
        "safeguarding/exports/_export_action.html",
        {
            "pupil": Pupil(pk=7),
            "filters": {"kind": "meeting", "category": "3", "since": "2026-03-01", "page": "2"},
            "can": {"view_all_records": True},
        },
    )
    assert 'action="/pupils/7/exports/"' in html
    assert 'method="get"' in html
    assert '<input type="hidden" name="kind" value="meeting">' in html
    assert '<input type="hidden" name="category" value="3">' in html
    assert '<input type="hidden" name="since" value="2026-03-01">' in html
    assert 'name="until"' not in html
    assert 'name="page"' not in html  # a page of the screen is not a filter
    assert "Export as PDF" in html
    nothing = render_to_string(
        "safeguarding/exports/_export_action.html",
        {"pupil": Pupil(pk=7), "filters": {}, "can": {"view_all_records": False}},
    )
    assert "Export" not in nothing


# --- Every field, in the order things happened ----------------------------------------------

MONDAY = dt.datetime(2026, 3, 2, 10, 5, 40, tzinfo=dt.UTC)  # 10:05 UK time (GMT in March)


def _a_week_of_records(world: World, school: School) -> tuple[Pupil, dict[str, int]]:
    """A concern written on paper and typed up later, its screening, an action with a due date
    and its completion, a call and a meeting given to the minute, and a corrected call."""
    staff, dsl = world.person("a", Role.STAFF), world.person("a", Role.DSL)
    deputy = world.person("a", Role.DEPUTY_DSL)
    pupil = make_pupil("Tamsin", "Quillfeather")
    with time_machine.travel(MONDAY, tick=False):
        concern = concern_record(
            school=school,
            author=person(dsl, Role.DSL),
            pupil_ids=[pupil.pk],
            category_ids=category_ids("neglect"),
            account=STAFF_ACCOUNT,
            occurred_at=dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC),
            backdate_reason="Written on paper at the gate, typed up after registration.",
            location="Lunch hall, by the serving hatch",
            action_taken="Sat with him and gave him toast from the breakfast club.",
            told_dsl_in_person=True,
            source=Source.PAPER_FORM,
            original_author_name=staff.full_name,
            original_written_at=dt.datetime(2026, 3, 2, 8, 40, tzinfo=dt.UTC),
        )
        concern_screen(
            concern=concern,
            screener=person(dsl, Role.DSL),
            level=Concern.Level.MEDIUM,
            rationale="Third late pick-up this month.",
        )
        action = action_add(
            concern=concern,
            actor=person(dsl, Role.DSL),
            kind=Action.Kind.CONVERSATION_PUPIL,
            description="Check in with him before lunch.",
            assignee=person(deputy, Role.DEPUTY_DSL),
            due_on=dt.date(2026, 3, 5),
        )
    with time_machine.travel(MONDAY + dt.timedelta(minutes=20), tick=False):
        action_complete(
            action=action,
            actor=person(deputy, Role.DEPUTY_DSL),
            outcome="He said breakfast is better since his aunt moved in.",
        )
        # Given to the minute, as the form gives it: 10:05, the minute the screening was in.
        call = contact_record(
            pupil=pupil,
            author=person(dsl, Role.DSL),
            kind=ChronologyEntry.Kind.PHONE_CALL,
            occurred_at=dt.datetime(2026, 3, 2, 10, 5, tzinfo=dt.UTC),
            summary="Duty desk will check the address.",
            person="Priya Marchetti",
            agency="Northshire children's social care",
        )
        contact_record(
            pupil=pupil,
            author=person(dsl, Role.DSL),
            kind=ChronologyEntry.Kind.MEETING,
            occurred_at=dt.datetime(2026, 3, 2, 9, 45, tzinfo=dt.UTC),
            summary="Agreed a breakfast club place.",
            participants="Class teacher, school nurse",
        )
    with time_machine.travel(MONDAY + dt.timedelta(days=1), tick=False):
        chronology_correct(
            entry=call,
            author=person(dsl, Role.DSL),
            body="Duty desk will visit on Thursday.",
            reason="The first note had the wrong day.",
        )
    ids = {
        entry.kind + ("-corrected" if entry.supersedes_id else ""): entry.pk
        for entry in ChronologyEntry.objects.filter(pupil=pupil)
    }
    return pupil, ids


def test_the_full_export_prints_every_field_the_record_holds(
    world: World, school_a_entered: School
) -> None:
    dsl = world.person("a", Role.DSL)
    pupil, _ = _a_week_of_records(world, school_a_entered)
    client = school_client(school_a_entered, dsl)

    text = _pdf_of(client, _made_with(client, pupil.pk, {"version": "full"}))

    expected = [
        # The concern: where, what was done, the paper form and why it was typed up later.
        "Where: Lunch hall, by the serving hatch",
        "What was done: Sat with him and gave him toast from the breakfast club.",
        "Told the DSL in person: yes",
        f"Written by {world.person('a', Role.STAFF).full_name} (paper form, entered by "
        f"{dsl.full_name}) on Mon 2 Mar 2026, 08:40",
        "Recorded later because: Written on paper at the gate, typed up after registration.",
        # The action and its completion.
        "Due: Thu 5 Mar 2026",
        f"Assigned to: {world.person('a', Role.DEPUTY_DSL).full_name}",
        "Completed: Mon 2 Mar 2026, 10:25",
        "Outcome: He said breakfast is better since his aunt moved in.",
        # The call and the meeting.
        "Call with: Priya Marchetti, Northshire children's social care",
        "Participants: Class teacher, school nurse",
        "Happened Mon 2 Mar 2026, 09:45",
        # The correction and its reason.
        "Correction of an earlier version. Corrected on Tue 3 Mar 2026, 10:05 by "
        f"{dsl.full_name} (DSL), reason: The first note had the wrong day.",
        # Who recorded each entry and when, beside when it happened.
        f"Happened Mon 2 Mar 2026, 08:30 · Recorded Mon 2 Mar 2026, 10:05 by {dsl.full_name} (DSL)",
        f"Recorded Tue 3 Mar 2026, 10:05 by {dsl.full_name} (DSL)",
    ]
    for words in expected:
        assert words in text, words


def test_entries_of_the_same_minute_print_in_the_order_they_were_recorded(
    world: World, school_a_entered: School
) -> None:
    pupil, ids = _a_week_of_records(world, school_a_entered)
    client = school_client(school_a_entered, world.person("a", Role.DSL))

    text = _pdf_of(client, _made_with(client, pupil.pk, {"version": "full"}))

    # Oldest first; within 10:05 (the minute printed) the screening and the action were recorded
    # before the call given as "10:05", and the call's correction comes after the call.
    order = [int(number) for number in re.findall(r"Entry (\d+) · hash", text)]
    assert order == [
        ids["concern"],
        ids["meeting"],
        ids["screening"],
        ids["action"],
        ids["phone_call"],
        ids["phone_call-corrected"],
        ids["action_completed"],
    ]


# --- Other children's names in the external version ------------------------------------------


def test_the_external_version_names_no_other_child(world: World, school_a_entered: School) -> None:
    dsl = world.person("a", Role.DSL)
    pupil = make_pupil("Tamsin", "Quillfeather")
    brother = make_pupil("Oscar", "Quillfeather")
    friend = make_pupil("Jory", "Abernathy-Lund")
    make_pupil("Perpetua", "Stonebridge")  # a classmate, on no concern
    family_link_add(pupil=pupil, relative=brother, relationship="sibling")
    concern = concern_record(
        school=school_a_entered,
        author=person(dsl, Role.DSL),
        pupil_ids=[pupil.pk, friend.pk],
        category_ids=category_ids("neglect"),
        account=(
            "Tamsin and JORY ABERNATHY-LUND said Oscar had no coat; perpetua stonebridge "
            "saw it too. Oscar Quillfeather waited with Tamsin."
        ),
        location="By Jory's peg",
        action_taken="Told Jory Abernathy-Lund to fetch a teacher.",
    )
    concern_screen(
        concern=concern,
        screener=person(dsl, Role.DSL),
        level=Concern.Level.LOW,
        rationale="Oscar confirmed it; Jory's mum collects both.",
    )
    client = school_client(school_a_entered, dsl)

    full = _pdf_of(client, _made_with(client, pupil.pk, {"version": "full"}))
    external = _pdf_of(client, _made_with(client, pupil.pk, {"version": "external"}))

    assert "Perpetua Stonebridge".casefold() in full.casefold()
    for name in ("Oscar", "Jory", "Abernathy-Lund", "Perpetua", "Stonebridge"):
        assert not re.search(rf"(?<!\w){name}(?!\w)", external, re.IGNORECASE), name
    # The same child, the same letter, in every field; the pupil keeps her name.
    assert (
        "Tamsin and Child B said Child C had no coat; Child D saw it too. "
        "Child C waited with Tamsin."
    ) in external
    assert "Where: By Child B's peg" in external
    assert "What was done: Told Child B to fetch a teacher." in external
    assert "Child C confirmed it; Child B's mum collects both." in external
    assert "Tamsin Quillfeather" in external
    assert dsl.full_name not in external  # staff names are still replaced by their roles


# --- the property: no other pupil's name survives -------------------------------------------


_FILLER = ("and", "said", "saw", "with", "told", "the", "gate", "at", "lunch", "then", "left")
_name_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéø", min_size=2, max_size=9).filter(
    # Nor a word of what names become ("Child B", "Member of staff"): those are in the text after.
    lambda word: word not in {*_FILLER, "child", "member", "of", "staff"}
)
_full_name = st.tuples(_name_word, _name_word)
# How a name may be written: any case, one space or several, or a line break.
_case = st.sampled_from([str.lower, str.upper, str.title, str.capitalize])
_space = st.sampled_from([" ", "  ", "\n"])


@dataclass(frozen=True)
class _Child:
    first: str
    last: str
    linked: bool  # on the pupil's concern or in the pupil's family: their first name alone too

    def spellings(self) -> list[str]:
        return [f"{self.first} {self.last}", *([self.first] if self.linked else [])]


@given(
    subject=_full_name,
    children=st.lists(
        st.builds(_Child, first=_name_word, last=_name_word, linked=st.booleans()),
        min_size=1,
        max_size=6,
    ),
    staff=st.lists(_full_name, max_size=3),
    data=st.data(),
)
@settings(max_examples=300, deadline=None)
def test_no_other_childs_name_survives_the_external_version(
    subject: tuple[str, str],
    children: list[_Child],
    staff: list[tuple[str, str]],
    data: st.DataObject,
) -> None:
    """Texts made of the pupil's name, other children's names, staff names and filler words:
    each other child becomes one letter throughout, in the order they first appear, each member
    of staff their role, and the pupil keeps their name."""
    own_words = set(subject)
    staff_keys = {f"{first} {last}" for first, last in staff}
    keys = [key for child in children for key in child.spellings()]
    # Names that cannot be told apart are left out of the cases: a child with the pupil's own
    # name or a staff member's, two children with one name, a first name that is the pupil's.
    assume(len(keys) == len(set(keys)))
    assume(not any(child.first in own_words for child in children if child.linked))
    assume(not {f"{c.first} {c.last}" for c in children} & {" ".join(subject), *staff_keys})
    assume(not own_words & {word for name in staff for word in name})
    assume(not {key for key in keys if " " not in key} & {w for n in staff for w in n})
    names = StaffNames(
        {" ".join(name): "Member of staff" for name in staff},
        keep=[" ".join(subject), *subject],
        children={
            index: [spelling.title() for spelling in child.spellings()]
            for index, child in enumerate(children, start=1)
        },
    )
    parts = st.one_of(
        st.tuples(st.just("child"), st.integers(0, len(children) - 1)),
        st.tuples(st.just("subject"), st.just(0)),
        st.tuples(st.just("filler"), st.integers(0, len(_FILLER) - 1)),
        *([st.tuples(st.just("staff"), st.integers(0, len(staff) - 1))] if staff else []),
    )
    written: list[str] = []
    expected: list[str] = []
    letters: dict[int, str] = {}
    for what, which in data.draw(st.lists(parts, min_size=1, max_size=20)):
        case = data.draw(_case)
        if what == "child":
            child = children[which]
            spelling = data.draw(st.sampled_from(child.spellings()))
            written.append(case(spelling.replace(" ", data.draw(_space))))
            letters.setdefault(which, f"Child {child_letter(len(letters))}")
            expected.append(letters[which])
        elif what == "subject":
            text = " ".join(word.title() for word in subject)
            written.append(text)
            expected.append(text)
        elif what == "staff":
            written.append(case(" ".join(staff[which])))
            expected.append("Member of staff")
        else:
            written.append(_FILLER[which])
            expected.append(_FILLER[which])
    redacted = names.redact(" and ".join(written))

    assert redacted == " and ".join(expected)
    for child in children:
        for spelling in child.spellings():
            words = r"\s+".join(map(re.escape, spelling.split()))
            assert not re.search(rf"(?<!\w){words}(?!\w)", redacted, re.IGNORECASE)


def test_the_facts_of_every_kind_of_entry_are_printed_with_their_labels() -> None:
    when = dt.datetime(2026, 3, 2, 10, 5, tzinfo=dt.UTC)

    def facts(kind: ChronologyEntry.Kind, details: dict[str, object]) -> list[tuple[str, str]]:
        entry = ChronologyEntry(
            pk=1,
            kind=kind,
            occurred_at=when,
            recorded_at=when,
            author_name="Ada Okonkwo-Reyes",
            author_role="dsl",
            title="t",
            details=details,
            row_hash="0" * 64,
        )
        return entry_row(entry, staff=None, superseded=False).facts

    assert facts(ChronologyEntry.Kind.STATUS_CHANGE, {"from": "screened", "to": "open"}) == [
        ("Status", "Screened to Open case")
    ]
    assert facts(
        ChronologyEntry.Kind.DOCUMENT,
        {
            "original_name": "plan.pdf",
            "content_type": "application/pdf",
            "size": 2048,
            "sha256": "ab" * 32,
            "scanned": True,
        },
    ) == [
        ("File", "plan.pdf (application/pdf, 2048 bytes)"),
        ("SHA-256", "ab" * 32),
        ("Scanned", "yes"),
    ]
    assert facts(
        ChronologyEntry.Kind.DISCLOSURE,
        {
            "step": "requested",
            "agency_id": 4,
            "agency": "Northshire police",
            "agency_kind": "police",
            "contact": "PC Hale",
            "requested_by": "DC Rowe",
        },
    ) == [
        ("Agency", "Northshire police"),
        ("Kind of agency", "police"),
        ("Contact", "PC Hale"),
        ("Requested by", "DC Rowe"),
    ]
