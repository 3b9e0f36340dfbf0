"""Subject access requests: the one-month deadline, what the released PDF holds (and does not,
in any layer of the file), the suggestions of names to redact, the dashboard, the record kept.

docs/rules.md, "Subject access". Sentinel names (invented, found nowhere else) are written into
the record so that their absence from the PDF means something.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import zlib

import pytest
import time_machine
from django.http import FileResponse
from django.test import Client, TestCase
from django.utils import timezone
from django_tenants.utils import schema_context
from pypdf import PdfReader
from pypdf.generic import IndirectObject, StreamObject

from safeguarding.export_pdf import Redactions
from safeguarding.models import (
    AccessAction,
    AccessLogEntry,
    ChronologyEntry,
    Exemption,
    ExportJob,
    Pupil,
    SubjectAccessRequest,
)
from safeguarding.services.chronology import note_record
from safeguarding.services.pupils import family_link_add
from safeguarding.services.subject_access import sar_due_on
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import make_pupil, person
from trustplatform.accounts.models import Role
from trustplatform.accounts.services import school_membership_add, user_create

pytestmark = pytest.mark.usefixtures("tasks_run_when_sent", "private_storage")

# Invented, and each one found nowhere else: absent from the PDF only if it was taken out.
SIBLING_FIRST, SIBLING_LAST = "Zorvath", "Quenby"
STAFF_FIRST, STAFF_LAST = "Ottoline", "Brackwater"
WITHHELD_WORD = "Pellucidar"
KEPT_WORD = "Marchpane"


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # The corresponding day of the next month...
        (dt.date(2026, 3, 15), dt.date(2026, 4, 15)),
        (dt.date(2026, 12, 31), dt.date(2027, 1, 31)),
        # ...or its last day when it has none.
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), dt.date(2028, 2, 29)),  # a leap year
        (dt.date(2028, 2, 29), dt.date(2028, 3, 29)),
        (dt.date(2026, 8, 31), dt.date(2026, 9, 30)),
        (dt.date(2026, 10, 31), dt.date(2026, 11, 30)),
    ],
)
def test_a_request_is_due_one_calendar_month_after_it_was_received(
    received: dt.date, due: dt.date
) -> None:
    assert sar_due_on(received) == due


def _record(world: World, school: School) -> tuple[Pupil, dict[str, int]]:
    """A pupil whose record names a sibling and a member of staff, and holds one entry to be
    withheld: three notes by the DSL."""
    staff = user_create(
        email="ottoline.brackwater@example.org",
        full_name=f"{STAFF_FIRST} {STAFF_LAST}",
        password="correct-horse-battery-staple",
    )
    school_membership_add(user=staff, school=school, role=Role.STAFF)
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    pupil = make_pupil("Elowen", "Fairweather")
    sibling = make_pupil(SIBLING_FIRST, SIBLING_LAST)
    family_link_add(pupil=pupil, relative=sibling, relationship="sibling")
    now = timezone.now()
    entries = {
        "names": note_record(
            pupil=pupil,
            author=dsl,
            occurred_at=now - dt.timedelta(minutes=3),
            title=f"Talk with {SIBLING_FIRST}",
            body=(
                f"Elowen said {SIBLING_FIRST} {SIBLING_LAST} took her {KEPT_WORD} at lunch; "
                f"{STAFF_FIRST} {STAFF_LAST} saw it. {SIBLING_FIRST.upper()} denied it."
            ),
        ).pk,
        "withheld": note_record(
            pupil=pupil,
            author=dsl,
            occurred_at=now - dt.timedelta(minutes=2),
            title="Police strategy discussion",
            body=f"Operation {WITHHELD_WORD}: not to be shared with the family.",
        ).pk,
        "plain": note_record(
            pupil=pupil,
            author=dsl,
            occurred_at=now - dt.timedelta(minutes=1),
            body="Elowen settled well in class this afternoon.",
        ).pk,
    }
    return pupil, entries


def _open(client: Client, pupil_id: int, received: str = "") -> SubjectAccessRequest:
    response = client.post(
        f"/pupils/{pupil_id}/subject-access/new/",
        {
            "requester_kind": "parent",
            "requester": "Ms Rowena Example, mother",
            "received_on": received or timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302, response.content
    sar_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    # Ids only in every address: who asked, and the child, never travel in a URL.
    assert response["Location"] == f"/subject-access/{sar_id}/"
    return SubjectAccessRequest.objects.get(pk=sar_id)


def _released_pdf(world: World, school: School) -> tuple[bytes, SubjectAccessRequest, Client]:
    pupil, entries = _record(world, school)
    client = school_client(school, world.person("a", Role.DSL))
    sar = _open(client, pupil.pk)
    page = client.get(f"/subject-access/{sar.pk}/").text
    # Suggested: the sibling (family) and the member of staff, by full, first and last names.
    suggestions = re.search(r'id="sar-suggestions"(.*?)</fieldset>', page, re.S)
    assert suggestions is not None
    offered = set(re.findall(r'name="suggested" value="([^"]+)"', suggestions.group(1)))
    assert {
        f"{SIBLING_FIRST} {SIBLING_LAST}",
        SIBLING_FIRST,
        SIBLING_LAST,
        f"{STAFF_FIRST} {STAFF_LAST}",
        STAFF_FIRST,
        STAFF_LAST,
    } <= offered
    assert not offered & {"Elowen", "Fairweather", "Elowen Fairweather"}
    response = client.post(
        f"/subject-access/{sar.pk}/entries/",
        {f"exemption-{entries['withheld']}": Exemption.CRIME},
    )
    assert response.status_code == 302
    response = client.post(
        f"/subject-access/{sar.pk}/redactions/",
        {
            "suggested": [f"{SIBLING_FIRST} {SIBLING_LAST}", SIBLING_FIRST, SIBLING_LAST],
            "redactions": f"{STAFF_FIRST} {STAFF_LAST}\n",
        },
    )
    assert response.status_code == 302
    with TestCase.captureOnCommitCallbacks(execute=True) as queued:
        response = client.post(
            f"/subject-access/{sar.pk}/release/", {"released_to": "Ms Rowena Example, by post"}
        )
        assert response.status_code == 302
        # Answered before the PDF is made: a worker makes it, and the page shows its progress.
        sar.refresh_from_db()
        assert sar.status == SubjectAccessRequest.Status.RELEASING
        assert not sar.file
        waiting = client.get(f"/subject-access/{sar.pk}/").text
        assert "Waiting to start" in waiting
        assert 'hx-trigger="every 1s"' in waiting
    assert len(queued) == 1
    sar.refresh_from_db()
    assert sar.status == SubjectAccessRequest.Status.RELEASED
    assert sar.release_job is not None
    assert sar.release_job.status == ExportJob.Status.DONE
    download = client.get(f"/subject-access/{sar.pk}/download/")
    assert download.status_code == 200
    assert isinstance(download, FileResponse)
    assert download["Content-Disposition"] == (
        f'attachment; filename="subject-access-pupil-{pupil.pk}-request-{sar.pk}.pdf"'
    )
    return b"".join(download.streaming_content), sar, client


def _pdftotext(pdf: bytes) -> str:
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(out.split())


def _every_stream(reader: PdfReader) -> list[bytes]:
    """Every stream of the file, decompressed: content, fonts, images, XMP, object streams."""
    found: list[bytes] = []
    for generation, numbers in reader.xref.items():
        for number in numbers:
            obj = IndirectObject(number, generation, reader).get_object()
            if isinstance(obj, StreamObject):
                found.append(obj.get_data())
    for number in reader.xref_objStm:
        obj = IndirectObject(number, 0, reader).get_object()
        if isinstance(obj, StreamObject):
            found.append(obj.get_data())
    return found


def _flate_streams(pdf: bytes) -> list[bytes]:
    """Every FlateDecode stream of the raw file inflated by hand, not through a PDF library."""
    inflated = []
    for match in re.finditer(rb"stream\r?\n", pdf):
        try:
            inflated.append(zlib.decompressobj().decompress(pdf[match.end() :]))
        except zlib.error:
            continue
    return inflated


def test_the_released_pdf_holds_no_withheld_entry_and_no_redacted_name_in_any_layer(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pdf, sar, _client = _released_pdf(world, school_a)
        reader = PdfReader(io.BytesIO(pdf))
        texts = {
            "pdftotext": _pdftotext(pdf),
            "pypdf": " ".join(" ".join(page.extract_text().split()) for page in reader.pages),
        }
        for name, text in texts.items():
            # What was released is there, with the names replaced where they stood...
            assert KEPT_WORD in text, name
            assert "settled well in class" in text, name
            assert "Elowen said [redacted] took her" in text, name
            assert "[redacted] saw it. [redacted] denied it." in text, name
            # ...and the withheld entry is not, title or body.
            assert WITHHELD_WORD not in text, name
            assert "Police strategy discussion" not in text, name

        metadata: dict[str, object] = dict(reader.metadata or {})
        assert metadata.get("/Title") == "Subject access response"
        assert "/Author" not in metadata
        xmp = reader.xmp_metadata
        layers = [
            ("metadata", " ".join(str(value) for value in metadata.values())),
            ("xmp", "" if xmp is None else xmp.stream.get_data().decode("utf-8", "replace")),
        ]
        layers += [("raw bytes", pdf.decode("latin-1"))]
        layers += [("pypdf stream", data.decode("latin-1")) for data in _every_stream(reader)]
        layers += [("inflated stream", data.decode("latin-1")) for data in _flate_streams(pdf)]
        layers += list(texts.items())
        sentinels = [SIBLING_FIRST, SIBLING_LAST, STAFF_FIRST, STAFF_LAST, WITHHELD_WORD]
        for layer, content in layers:
            for sentinel in sentinels:
                assert sentinel.casefold() not in content.casefold(), (layer, sentinel)

        # The release is recorded: who, when, to whom, how many released and withheld.
        assert (sar.released_count, sar.withheld_count) == (2, 1)
        assert sar.released_by_id == world.person("a", Role.DSL).pk
        assert sar.released_to == "Ms Rowena Example, by post"
        note = ChronologyEntry.objects.filter(pupil=sar.pupil).order_by("-pk").first()
        assert note is not None
        assert note.title == "Subject access request answered"
        assert note.details["released"] == 2
        assert note.details["withheld"] == 1
        assert note.author_id == world.person("a", Role.DSL).pk
        # Releasing and each download are exports in the access log.
        exported = AccessLogEntry.objects.filter(
            action=AccessAction.EXPORTED, object_type="subject_access", object_id=str(sar.pk)
        )
        assert exported.count() == 2


def test_a_released_request_can_no_longer_change_and_is_downloaded_again_later(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pdf, sar, client = _released_pdf(world, school_a)
        assert (
            client.post(f"/subject-access/{sar.pk}/redactions/", {"redactions": ""}).status_code
            == 302
        )
        sar.refresh_from_db()
        assert SIBLING_FIRST in sar.redactions
        again = client.post(f"/subject-access/{sar.pk}/release/", {"released_to": "Someone"})
        assert again.status_code == 302
        sar.refresh_from_db()
        assert sar.released_to == "Ms Rowena Example, by post"
        page = client.get(f"/subject-access/{sar.pk}/").text
        assert "2 entries released, 1 withheld" in page
        # The entries the release covered, without the note recording it.
        listed = re.search(r'id="sar-entries"(.*?)</table>', page, re.S)
        assert listed is not None
        assert listed.group(1).count('id="sar-entry-') == 3
        assert "Subject access request answered" not in listed.group(1)
        later = client.get(f"/subject-access/{sar.pk}/download/")
        assert b"".join(later.streaming_content) == pdf  # type: ignore[attr-defined]


def test_the_dsl_dashboard_lists_open_requests_with_days_left_and_marks_overdue(
    world: World, school_a: School
) -> None:
    with (
        schema_context(school_a.schema_name),
        time_machine.travel(dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC), tick=False),
    ):
        pupil = make_pupil("Elowen", "Fairweather")
        dsl = school_client(school_a, world.person("a", Role.DSL))
        late = _open(dsl, pupil.pk, "2026-01-31")  # due 28 Feb 2026: 10 days ago
        fresh = _open(dsl, pupil.pk, "2026-03-02")  # due 2 Apr 2026: 23 days left
        page = dsl.get("/").text
        section = re.search(r'id="subject-access-requests"(.*?)</section>', page, re.S)
        assert section is not None
        html = " ".join(section.group(1).split())
        assert f"/subject-access/{late.pk}/" in html
        assert "Overdue</span> Was due 28 Feb 2026, 10 days ago." in html
        assert f"/subject-access/{fresh.pk}/" in html
        assert "Due 2 Apr 2026: 23 days left." in html
        # The deputy sees them too; the headteacher, who answers none, does not.
        deputy = school_client(school_a, world.person("a", Role.DEPUTY_DSL))
        assert 'id="subject-access-requests"' in deputy.get("/").text
        head = school_client(school_a, world.person("a", Role.HEADTEACHER))
        assert 'id="subject-access-requests"' not in head.get("/").text


def test_a_request_received_in_the_future_or_without_who_asked_is_refused(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Elowen", "Fairweather")
        dsl = school_client(school_a, world.person("a", Role.DSL))
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
        refused = dsl.post(
            f"/pupils/{pupil.pk}/subject-access/new/",
            {"requester_kind": "child", "requester": "Elowen", "received_on": tomorrow},
        )
        assert refused.status_code == 400
        assert "cannot be in the future" in refused.text
        refused = dsl.post(
            f"/pupils/{pupil.pk}/subject-access/new/",
            {"requester_kind": "child", "requester": " ", "received_on": tomorrow},
        )
        assert refused.status_code == 400
        assert not SubjectAccessRequest.objects.exists()


def test_a_redaction_holding_a_null_character_is_refused_and_the_saved_ones_stay(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Elowen", "Fairweather")
        dsl = school_client(school_a, world.person("a", Role.DSL))
        sar = _open(dsl, pupil.pk)
        saved = dsl.post(f"/subject-access/{sar.pk}/redactions/", {"redactions": "Tamsin Hale"})
        assert saved.status_code == 302
        refused = dsl.post(
            f"/subject-access/{sar.pk}/redactions/", {"redactions": "Tam\x00sin"}, follow=True
        )
        assert refused.status_code == 200
        assert "cannot hold a null character" in refused.text
        sar.refresh_from_db()
        assert sar.redactions == ["Tamsin Hale"]


def test_redactions_replace_whole_words_in_any_case_and_spacing_longest_first() -> None:
    redactions = Redactions(["Zeb", "zeb  Quenby", "", "O'Hara"])
    assert redactions.redact("ZEB Quenby met Zeb by the Zebra crossing; Zeb's coat.") == (
        "[redacted] met [redacted] by the Zebra crossing; [redacted]'s coat."
    )
    assert redactions.redact("Mrs O'Hara\nphoned.") == "Mrs [redacted]\nphoned."
    assert Redactions([]).redact("Zeb") == "Zeb"


def test_an_entry_of_another_pupil_cannot_be_withheld_or_released_through_a_request(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil, _entries = _record(world, school_a)
        other = make_pupil("Tamsin", "Quillfeather")
        elsewhere = note_record(
            pupil=other,
            author=person(world.person("a", Role.DSL), Role.DSL),
            occurred_at=timezone.now(),
            body="A note about another child only.",
        )
        client = school_client(school_a, world.person("a", Role.DSL))
        sar = _open(client, pupil.pk)
        client.post(
            f"/subject-access/{sar.pk}/entries/", {f"exemption-{elsewhere.pk}": Exemption.CRIME}
        )
        assert not sar.withholdings.exists()
        page = client.get(f"/subject-access/{sar.pk}/").text
        assert "A note about another child only." not in page


def test_a_release_whose_pdf_cannot_be_made_opens_the_request_again(
    world: World, school_a: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: object) -> bytes:
        raise OSError("no fonts")

    monkeypatch.setattr("safeguarding.services.subject_access.release_pdf", broken)
    with schema_context(school_a.schema_name):
        pupil, _entries = _record(world, school_a)
        client = school_client(school_a, world.person("a", Role.DSL))
        sar = _open(client, pupil.pk)
        with TestCase.captureOnCommitCallbacks(execute=True):
            client.post(f"/subject-access/{sar.pk}/release/", {"released_to": "Ms Example"})
        sar.refresh_from_db()
        assert sar.status == SubjectAccessRequest.Status.OPEN
        assert (sar.released_to, sar.file.name) == ("", "")
        assert sar.release_job is not None
        assert sar.release_job.status == ExportJob.Status.FAILED
        assert not ChronologyEntry.objects.filter(title="Subject access request answered")
        # Open again: the DSL can release it once the fault is mended.
        assert "Release the response" in client.get(f"/subject-access/{sar.pk}/").text
