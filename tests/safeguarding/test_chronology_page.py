"""A child's chronology page as a DSL reads and adds to it: the order of entries, the latest
hundred first with older ones loaded on request, and every kind of entry recorded from the page."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.models import ChronologyEntry, Document, Pupil
from safeguarding.services.access import key_holder_access_set
from safeguarding.services.chronology import child_informed_record, note_record
from safeguarding.services.concerns import concern_record, contact_record
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ENTRY = re.compile(r'<li class="entry [^"]*" id="entry-(\d+)"')


def _ids_shown(html: str) -> list[int]:
    return [int(found) for found in ENTRY.findall(html)]


def _meetings(world: World, pupil: Pupil, count: int, *, start: dt.datetime) -> list[int]:
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    return [
        contact_record(
            pupil=pupil,
            author=dsl,
            kind=ChronologyEntry.Kind.MEETING,
            occurred_at=start + dt.timedelta(hours=n),
            summary=f"Meeting number {n:03d}.",
            participants="DSL",
        ).pk
        for n in range(count)
    ]


# --- order --------------------------------------------------------------------------------------


def test_entries_of_the_same_minute_read_in_the_order_they_were_recorded(
    world: World, school_a: School
) -> None:
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    minute = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=3)
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Perpetua", "Lowden")
        # A service writes its own time to the second; a form sends the minute. Both show as
        # the same minute, so they read in the order they were recorded.
        first = contact_record(
            pupil=pupil,
            author=dsl,
            kind=ChronologyEntry.Kind.PHONE_CALL,
            occurred_at=minute + dt.timedelta(seconds=50),
            summary="First call, recorded first.",
            person="Duty social worker",
        )
        second = contact_record(
            pupil=pupil,
            author=dsl,
            kind=ChronologyEntry.Kind.MEETING,
            occurred_at=minute,
            summary="Meeting recorded second, same minute.",
            participants="DSL, parent",
        )
        third = contact_record(
            pupil=pupil,
            author=dsl,
            kind=ChronologyEntry.Kind.MEETING,
            occurred_at=minute,
            summary="Another, recorded third, same minute.",
            participants="DSL, parent",
        )
    client = school_client(school_a, world.person("a", Role.DSL))

    page = client.get(f"/pupils/{pupil.pk}/chronology/").text

    assert _ids_shown(page) == [first.pk, second.pk, third.pk]


# --- the latest hundred, and older ones on request ------------------------------------------------


def test_the_page_opens_on_the_latest_hundred_and_loads_older_ones_by_keyset(
    world: World, school_a: School
) -> None:
    start = timezone.now() - dt.timedelta(days=30)
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Ignatius", "Fairweather")
        ids = _meetings(world, pupil, 130, start=start)
    client = school_client(school_a, world.person("a", Role.DSL))
    url = f"/pupils/{pupil.pk}/chronology/"
    client.get("/")  # the host's school is looked up on the first request only, then kept

    with CaptureQueriesContext(connection) as first_screen:
        latest = client.get(url).text
    assert _ids_shown(latest) == ids[30:]
    link = re.search(r'href="\?(before=[^"]+)" data-load-older>Load older entries</a>', latest)
    assert link is not None

    # Without JavaScript: a page of the older run, with the way back, and no further link.
    with CaptureQueriesContext(connection) as older_run:
        older = client.get(f"{url}?{link.group(1)}")
    assert _ids_shown(older.text) == ids[:30]
    assert "Load older entries" not in older.text
    assert "Back to the latest entries" in older.text
    # Keyset: the older run is found from where the shown run starts, never by an offset, and
    # costs the same number of queries as the first screen.
    assert len(older_run.captured_queries) == len(first_screen.captured_queries)
    assert not any(" OFFSET " in q["sql"] for q in older_run.captured_queries)

    # With the page's script: only the entries and the next link, to put above those shown.
    fragment = client.get(f"{url}?{link.group(1)}", headers={"X-Requested-With": "fetch"}).text
    assert "<html" not in fragment
    assert "<template data-entries>" in fragment
    assert _ids_shown(fragment) == ids[:30]
    assert 'id="chronology-older"' in fragment


def test_loading_older_entries_keeps_the_filters(world: World, school_a: School) -> None:
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    start = timezone.now() - dt.timedelta(days=30)
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Ottoline", "Marchbanks")
        meetings = _meetings(world, pupil, 105, start=start)
        for n in range(12):
            contact_record(
                pupil=pupil,
                author=dsl,
                kind=ChronologyEntry.Kind.PHONE_CALL,
                occurred_at=start + dt.timedelta(hours=n, minutes=30),
                summary=f"Call number {n}.",
                person="School nurse",
            )
    client = school_client(school_a, world.person("a", Role.DSL))
    url = f"/pupils/{pupil.pk}/chronology/"

    latest = client.get(url, {"kind": "meeting"}).text
    assert _ids_shown(latest) == meetings[5:]
    link = re.search(r'href="\?([^"]+)" data-load-older', latest)
    assert link is not None
    query = link.group(1).replace("&amp;", "&")
    assert "kind=meeting" in query
    older = client.get(f"{url}?{query}", headers={"X-Requested-With": "fetch"}).text
    assert _ids_shown(older) == meetings[:5]
    assert "Call number" not in older


def test_a_cursor_that_is_not_one_shows_the_latest_entries(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Cosimo", "Ashgrove")
        ids = _meetings(world, pupil, 3, start=timezone.now() - dt.timedelta(days=2))
    client = school_client(school_a, world.person("a", Role.DSL))
    for before in ("x", "1.2.3", "9" * 60, "-5.3", "99999999999999999999.1"):
        response = client.get(f"/pupils/{pupil.pk}/chronology/", {"before": before})
        assert response.status_code == 200
        assert _ids_shown(response.text) == ids


def test_a_key_holder_loads_only_entries_within_their_grants(
    world: World, school_a: School
) -> None:
    staff = person(world.person("a", Role.STAFF), Role.STAFF)
    start = timezone.now() - dt.timedelta(days=3)
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Wilhelmina", "Crane", year_group=6, form="6A")
        for n in range(103):
            concern_record(
                school=school_a,
                author=staff,
                pupil_ids=[pupil.pk],
                category_ids=category_ids("bullying" if n % 2 else "neglect"),
                account=f"{'Bullying' if n % 2 else 'Neglect'} account {n:03d}.",
                occurred_at=start + dt.timedelta(minutes=n),
                backdate_reason="Entered from the paper log.",
            )
        key_holder_access_set(
            school=school_a,
            key_holder=world.person("a", Role.KEY_HOLDER),
            category_ids=category_ids("bullying"),
            year_groups=[6],
            actor=world.person("a", Role.DSL),
        )
    client = school_client(school_a, world.person("a", Role.KEY_HOLDER))
    page = client.get(f"/pupils/{pupil.pk}/chronology/").text
    assert page.count("Bullying account") == 51
    assert "Neglect account" not in page
    assert "Load older entries" not in page


# --- recording from the page --------------------------------------------------------------------


def _stamp(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def test_the_page_links_to_every_kind_a_dsl_records(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Araminta", "Voss")
    page = school_client(school_a, world.person("a", Role.DSL)).get(
        f"/pupils/{pupil.pk}/chronology/"
    )
    for path in ("contacts/?kind=phone_call", "contacts/?kind=meeting", "chronology/note/"):
        assert f'href="/pupils/{pupil.pk}/{path}"' in page.text
    assert f'href="/pupils/{pupil.pk}/chronology/child-informed/"' in page.text
    # The forms live on their own pages, not under the chronology.
    assert 'name="summary"' not in page.text


def test_the_chronology_links_back_to_the_pupil_page(world: World, school_a: School) -> None:
    # The pupil's name on a concern leads to the chronology: the child's page is one click on.
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Araminta", "Voss")
    page = school_client(school_a, world.person("a", Role.DSL)).get(
        f"/pupils/{pupil.pk}/chronology/"
    )
    assert f'<a href="/pupils/{pupil.pk}/">Pupil page</a>' in page.text


def test_a_dsl_records_a_note_with_its_author_and_times(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Araminta", "Voss")
    dsl = world.person("a", Role.DSL)
    client = school_client(school_a, dsl)
    url = f"/pupils/{pupil.pk}/chronology/note/"

    form = client.get(url)
    assert form.status_code == 200
    # The time defaults to now, to the minute.
    assert f'value="{_stamp(timezone.now())[:13]}' in form.text

    response = client.post(
        url,
        {
            "occurred_at": _stamp(timezone.now()),
            "title": "Mum called in at the office",
            "body": "Mum mentioned a new partner living at home.",
        },
    )

    assert response.status_code == 302
    with schema_context(school_a.schema_name):
        entry = ChronologyEntry.objects.get(pupil=pupil)
    assert response["Location"] == f"/pupils/{pupil.pk}/chronology/#entry-{entry.pk}"
    assert (entry.kind, entry.author_id) == (ChronologyEntry.Kind.NOTE, dsl.pk)
    assert entry.recorded_at is not None
    page = client.get(f"/pupils/{pupil.pk}/chronology/").text
    assert "Mum mentioned a new partner living at home." in page
    assert f"by {dsl.full_name}" in page


MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_every_field_typed_into_an_entry_is_shown_as_text_never_as_markup(
    world: World, school_a: School
) -> None:
    """The list of entries is written without the template engine: each typed value must still
    reach the page escaped, in the title, body, call, meeting, child's views and told-by lines."""
    dsl_person = person(world.person("a", Role.DSL), Role.DSL)
    now = timezone.now()
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Ottilie", "Prynne")
        contact_record(
            pupil=pupil,
            author=dsl_person,
            kind=ChronologyEntry.Kind.PHONE_CALL,
            occurred_at=now,
            summary=f"Summary {MARKUP}",
            person=f"Person {MARKUP}",
            agency=f"Agency {MARKUP}",
        )
        contact_record(
            pupil=pupil,
            author=dsl_person,
            kind=ChronologyEntry.Kind.MEETING,
            occurred_at=now,
            summary="Meeting.",
            participants=f"Participants {MARKUP}",
        )
        note_record(pupil=pupil, author=dsl_person, occurred_at=now, body=MARKUP, title=MARKUP)
        child_informed_record(
            pupil=pupil,
            author=dsl_person,
            occurred_at=now,
            told_by=MARKUP,
            how=MARKUP,
            child_views=MARKUP,
        )
    page = school_client(school_a, world.person("a", Role.DSL)).get(
        f"/pupils/{pupil.pk}/chronology/"
    )
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "<img src=x" not in page.text
    assert page.text.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") >= 8


def test_a_backdated_note_needs_its_reason_and_keeps_what_was_typed(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Araminta", "Voss")
    client = school_client(school_a, world.person("a", Role.DSL))
    url = f"/pupils/{pupil.pk}/chronology/note/"
    earlier = _stamp(timezone.now() - dt.timedelta(days=2))
    data = {"occurred_at": earlier, "body": "Grandad said he collects her on Fridays now."}

    refused = client.post(url, data)

    assert refused.status_code == 200
    assert "say why it is recorded later" in refused.text
    assert "Grandad said he collects her on Fridays now." in refused.text
    assert f'value="{earlier}"' in refused.text
    with schema_context(school_a.schema_name):
        assert not ChronologyEntry.objects.filter(pupil=pupil).exists()

    done = client.post(url, data | {"backdate_reason": "Told to me on the gate; back from leave."})
    assert done.status_code == 302
    with schema_context(school_a.schema_name):
        entry = ChronologyEntry.objects.get(pupil=pupil)
    assert entry.backdate_reason == "Told to me on the gate; back from leave."


def test_a_dsl_records_that_the_child_was_told_and_their_views(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Benedikt", "Harrowgate")
    client = school_client(school_a, world.person("a", Role.DSL))

    response = client.post(
        f"/pupils/{pupil.pk}/chronology/child-informed/",
        {
            "occurred_at": _stamp(timezone.now()),
            "told_by": "Ms Invented, DSL",
            "how": "Told him in the quiet room that we had called children's services.",
            "child_views": '"I want to stay at my nan\'s."',
        },
    )

    assert response.status_code == 302
    with schema_context(school_a.schema_name):
        entry = ChronologyEntry.objects.get(pupil=pupil)
    assert entry.kind == ChronologyEntry.Kind.CHILD_INFORMED
    page = client.get(f"/pupils/{pupil.pk}/chronology/").text
    assert "Told him in the quiet room" in page
    assert "The child's views: &quot;I want to stay at my nan&#x27;s.&quot;" in page
    assert "Told by Ms Invented, DSL" in page


@pytest.fixture
def documents_root(settings: SettingsWrapper, tmp_path: Path) -> Path:
    settings.SCHOOL_DOCUMENTS_ROOT = tmp_path / "documents"
    settings.CLAMD_SOCKET = ""
    settings.CLAMD_HOST = ""
    return tmp_path / "documents"


def test_a_meetings_notes_upload_carries_the_meetings_date_and_time(
    world: World, school_a: School, documents_root: Path
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Cressida", "Yarrow")
    client = school_client(school_a, world.person("a", Role.DSL))
    held = timezone.now().replace(second=0, microsecond=0) - dt.timedelta(days=1)

    response = client.post(
        f"/pupils/{pupil.pk}/contacts/",
        {
            "kind": "meeting",
            "occurred_at": _stamp(held),
            "backdate_reason": "Minutes arrived today.",
            "participants": "DSL, social worker, parent",
            "summary": "Child in need review; plan kept.",
            "attachments": SimpleUploadedFile("cin review.pdf", PDF),
            "notes_overview": "Minutes of the CIN review",
        },
    )

    assert response.status_code == 302
    with schema_context(school_a.schema_name):
        meeting = ChronologyEntry.objects.get(pupil=pupil, kind=ChronologyEntry.Kind.MEETING)
        notes = ChronologyEntry.objects.get(pupil=pupil, kind=ChronologyEntry.Kind.DOCUMENT)
        assert Document.objects.filter(pupil=pupil).count() == 1
    assert meeting.occurred_at == notes.occurred_at == held
    assert notes.backdate_reason == "Minutes arrived today."
    page = client.get(f"/pupils/{pupil.pk}/chronology/").text
    assert _ids_shown(page) == [meeting.pk, notes.pk]


def test_a_refused_call_keeps_every_value_and_names_the_field(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Leopold", "Ashcombe")
    client = school_client(school_a, world.person("a", Role.DSL))
    url = f"/pupils/{pupil.pk}/contacts/"
    summary = "Sentinel-summary-Quenby: the family worker will visit on Thursday."

    form = client.get(url, {"kind": "phone_call"})
    assert form.status_code == 200
    assert f'value="{_stamp(timezone.now())[:13]}' in form.text  # the time defaults to now

    refused = client.post(
        url,
        {
            "kind": "phone_call",
            "occurred_at": "",
            "agency": "Early Help Hub",
            "person": "Sam Invented",
            "summary": summary,
        },
    )

    assert refused.status_code == 200
    assert summary in refused.text
    assert 'value="Early Help Hub"' in refused.text
    assert 'value="Sam Invented"' in refused.text
    field = refused.text[refused.text.index('for="id_occurred_at"') - 120 :]
    assert "This field is required." in field[:600]
    with schema_context(school_a.schema_name):
        assert not ChronologyEntry.objects.filter(pupil=pupil).exists()


@pytest.mark.parametrize("path", ["contacts/", "chronology/note/", "chronology/child-informed/"])
def test_the_recording_pages_refuse_other_schools_weaker_roles_and_anonymous(
    world: World, school_a: School, path: str
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Leopold", "Ashcombe")
    url = f"/pupils/{pupil.pk}/{path}"
    data = {
        "occurred_at": _stamp(timezone.now()),
        "kind": "phone_call",
        "person": "Sam Invented",
        "summary": "Not theirs to record.",
        "body": "Not theirs to record.",
        "told_by": "Someone",
        "how": "Not theirs to record.",
    }
    for client in (
        school_client(school_a, world.person("a", Role.STAFF)),
        school_client(school_a, world.person("a", Role.GOVERNOR)),
        school_client(school_a, world.person("a", Role.KEY_HOLDER)),
        school_client(school_a, world.person("b", Role.DSL)),
        school_client(school_a),
    ):
        for response in (client.get(url), client.post(url, data)):
            assert response.status_code in {302, 403, 404}
            assert "Leopold" not in response.text
    with schema_context(school_a.schema_name):
        assert not ChronologyEntry.objects.filter(pupil=pupil).exists()
