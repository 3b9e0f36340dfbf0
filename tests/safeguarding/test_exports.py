"""PDF exports of a pupil's chronology: stamp, versions, access log, the Celery path, refusals.

Every PDF is made by the Celery task that the request queues after its commit, never in the
request. Here the task runs when the test's transaction would commit, in this process and with
the school the message names (Celery's eager mode): the worker's own code on this test's rows,
which a worker with its own connection could not see before they are committed.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection
from django.http import FileResponse
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from pypdf import PdfReader

from safeguarding.export_pdf import StaffNames, Stamp
from safeguarding.models import (
    AccessAction,
    AccessLogEntry,
    Action,
    ChronologyEntry,
    Concern,
    ExportJob,
    Pupil,
    Source,
)
from safeguarding.services.chronology import chronology_correct
from safeguarding.services.concerns import (
    action_add,
    concern_record,
    concern_screen,
    contact_record,
)
from safeguarding.tasks import chronology_export_task
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role, SchoolMembership
from trustplatform.celery import app
from trustplatform.schooldays.calendar import LONDON

STAFF_ACCOUNT = 'He said "nobody picked me up yesterday" and waited by the gate until 5pm.'
CALL_SUMMARY = "Duty desk will check the family's address and call back tomorrow."


def _record(world: World, school: School) -> tuple[Pupil, Concern]:
    """A pupil with a concern from a member of staff, screened by the DSL, an action assigned to
    the deputy, and a call to children's social care: entries by three members of staff."""
    staff, dsl = world.person("a", Role.STAFF), world.person("a", Role.DSL)
    deputy = world.person("a", Role.DEPUTY_DSL)
    pupil = make_pupil("Tamsin", "Quillfeather")
    concern = concern_record(
        school=school,
        author=person(staff, Role.STAFF),
        pupil_ids=[pupil.pk],
        category_ids=category_ids("neglect"),
        account=STAFF_ACCOUNT,
        occurred_at=timezone.now() - dt.timedelta(minutes=5),
    )
    concern_screen(
        concern=concern,
        screener=person(dsl, Role.DSL),
        level=Concern.Level.MEDIUM,
        rationale=f"Third late pick-up this month; {staff.full_name} to keep a note.",
    )
    action_add(
        concern=concern,
        actor=person(dsl, Role.DSL),
        kind=Action.Kind.PARENTS_INFORMED,
        description="Phone mum about collection times.",
        assignee=person(deputy, Role.DEPUTY_DSL),
    )
    contact_record(
        pupil=pupil,
        author=person(dsl, Role.DSL),
        kind=ChronologyEntry.Kind.PHONE_CALL,
        occurred_at=timezone.now(),
        summary=CALL_SUMMARY,
        person="Duty social worker",
        agency="Children's social care",
    )
    return pupil, concern


pytestmark = pytest.mark.usefixtures("tasks_run_when_sent", "private_storage")


def _ask(client: Client, pupil_id: int, version: str) -> ExportJob:
    """Asks for an export; it is queued for the worker, and not made yet."""
    response = client.post(f"/pupils/{pupil_id}/exports/new/", {"version": version})
    assert response.status_code == 302
    job_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    assert response["Location"] == f"/exports/{job_id}/"
    return ExportJob.objects.get(pk=job_id)


def _made(client: Client, pupil_id: int, version: str) -> ExportJob:
    """Asks for an export, sees it waiting, and lets the task queued on commit make it."""
    with TestCase.captureOnCommitCallbacks(execute=True) as queued:
        job = _ask(client, pupil_id, version)
        # The request answered before anything was made: the PDF's page shows it waiting.
        assert (job.status, job.progress, job.file.name) == (ExportJob.Status.QUEUED, 0, "")
        waiting = client.get(f"/exports/{job.pk}/").text
        assert "Waiting to start" in waiting
        assert 'hx-trigger="every 1s"' in waiting
    assert len(queued) == 1
    job.refresh_from_db()
    return job


def _download(client: Client, job_id: int) -> tuple[FileResponse, str]:
    response = client.get(f"/exports/{job_id}/download/")
    assert response.status_code == 200
    assert isinstance(response, FileResponse)
    pdf = b"".join(response.streaming_content)
    assert pdf.startswith(b"%PDF-")
    return response, _text(pdf)


def _pages(pdf: bytes) -> list[str]:
    # Lines wrap wherever the page width says: compare text with runs of spaces made one.
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _text(pdf: bytes) -> str:
    return " ".join(_pages(pdf))


def _everyone_of_school_a(world: World) -> list[str]:
    return [world.person("a", role).full_name for role in world.people["a"]]


def test_the_dsl_downloads_the_full_chronology_stamped_with_who_when_and_the_chain_head(
    world: World, school_a_entered: School
) -> None:
    dsl = world.person("a", Role.DSL)
    pupil, _ = _record(world, school_a_entered)
    head = ChronologyEntry.objects.order_by("-pk").first()
    assert head is not None
    client = school_client(school_a_entered, dsl)

    job = _made(client, pupil.pk, "full")

    assert job.status == ExportJob.Status.DONE
    assert job.progress == 100
    assert job.chain_head == head.row_hash
    assert job.entries_count == ChronologyEntry.objects.filter(pupil=pupil).count() == 4
    page = client.get(f"/exports/{job.pk}/")
    assert "The PDF is ready" in page.text
    assert 'hx-trigger="every 1s"' not in page.text
    response, text = _download(client, job.pk)
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Tamsin" not in response["Content-Disposition"]  # ids only in the file name
    assert {"private", "no-store"} <= {
        directive.strip() for directive in response["Cache-Control"].split(",")
    }
    assert response["Content-Type"] == "application/pdf"
    # The entries: titles and bodies, in the words recorded.
    for entry in ChronologyEntry.objects.filter(pupil=pupil):
        assert entry.title in text
    assert STAFF_ACCOUNT in text
    assert CALL_SUMMARY in text
    assert "Tamsin Quillfeather" in text
    # The full version names who recorded each entry.
    assert world.person("a", Role.STAFF).full_name in text
    assert world.person("a", Role.DEPUTY_DSL).full_name in text


def test_every_page_carries_the_stamp(world: World, school_a_entered: School) -> None:
    dsl = world.person("a", Role.DSL)
    pupil, _ = _record(world, school_a_entered)
    for number in range(40):  # enough for several pages
        contact_record(
            pupil=pupil,
            author=person(dsl, Role.DSL),
            kind=ChronologyEntry.Kind.MEETING,
            occurred_at=timezone.now(),
            summary=f"Review meeting {number}: attendance and collection arrangements discussed.",
            participants="Class teacher, family support worker",
        )
    client = school_client(school_a_entered, dsl)
    job = _made(client, pupil.pk, "full")
    response = client.get(f"/exports/{job.pk}/download/")
    pages = _pages(b"".join(response.streaming_content))  # type: ignore[attr-defined]

    when = f"{job.requested_at.astimezone(LONDON):%d %b %Y %H:%M} (UK time)"
    assert len(pages) > 2
    for number, page in enumerate(pages, start=1):
        assert f"Generated by {dsl.full_name} (DSL) on {when}" in page
        assert f"Chronology chain head: {job.chain_head}" in page
        assert "Full (evidential)" in page
        assert school_a_entered.name in page
        assert "44 entries included" in page
        assert f"Page {number} of {len(pages)}" in page


def test_the_stamp_shows_uk_time() -> None:
    summer = Stamp(
        school="Alder Lane Primary",
        generated_by="x",
        generated_at=dt.datetime(2026, 7, 1, 11, 30, tzinfo=dt.UTC),
        version_label="Full (evidential)",
        chain_head="0" * 64,
        entries_count=0,
    )
    assert summer.generated_at_london == "01 Jul 2026 12:30 (UK time)"


def test_the_external_version_has_roles_instead_of_staff_names(
    world: World, school_a_entered: School
) -> None:
    dsl = world.person("a", Role.DSL)
    pupil, _ = _record(world, school_a_entered)
    # A paper form written by someone not on the system, entered by the DSL.
    concern_record(
        school=school_a_entered,
        author=person(dsl, Role.DSL),
        pupil_ids=[pupil.pk],
        category_ids=category_ids("neglect"),
        account=f"Told {dsl.full_name.upper()} at the gate that tea was crisps again.",
        occurred_at=timezone.now() - dt.timedelta(days=1),
        backdate_reason="Written on paper during the network outage.",
        source=Source.PAPER_FORM,
        original_author_name="Hollis Tremayne",
        original_written_at=timezone.now() - dt.timedelta(days=1),
    )
    client = school_client(school_a_entered, dsl)

    full = _download(client, _made(client, pupil.pk, "full").pk)[1]
    job = _made(client, pupil.pk, "external")
    external = _download(client, job.pk)[1]

    assert "Hollis Tremayne" in full
    assert dsl.full_name in full
    for name in [*_everyone_of_school_a(world), "Hollis Tremayne"]:
        assert name.casefold() not in external.casefold(), name
    assert "Tamsin Quillfeather" in external  # the pupil's own name stays
    assert "by DSL" in external
    assert "by Member of staff" in external
    assert "Assigned to Deputy DSL" in external
    assert "Told DSL at the gate" in external
    assert "Written by Member of staff (paper form, entered by DSL)" in external
    assert f"Generated by the DSL (user {dsl.pk})" in external
    assert STAFF_ACCOUNT in external
    assert "UPN" not in external


def test_corrections_are_marked_in_the_full_version_and_only_current_in_the_external(
    world: World, school_a_entered: School
) -> None:
    dsl = world.person("a", Role.DSL)
    pupil, _ = _record(world, school_a_entered)
    call = ChronologyEntry.objects.get(pupil=pupil, kind=ChronologyEntry.Kind.PHONE_CALL)
    chronology_correct(
        entry=call,
        author=person(dsl, Role.DSL),
        body="Duty desk will visit the family on Thursday.",
        reason="Wrong day noted",
    )
    client = school_client(school_a_entered, dsl)

    full_job = _made(client, pupil.pk, "full")
    full = _download(client, full_job.pk)[1]
    external_job = _made(client, pupil.pk, "external")
    external = _download(client, external_job.pk)[1]

    assert (full_job.entries_count, external_job.entries_count) == (5, 4)
    assert CALL_SUMMARY in full
    assert "Superseded: replaced by a later correction" in full
    assert "Correction of an earlier version." in full
    assert "reason: Wrong day noted" in full
    assert CALL_SUMMARY not in external
    assert "Superseded" not in external
    assert "Duty desk will visit the family on Thursday." in external


def test_asking_for_an_export_and_each_download_are_written_to_the_access_log(
    world: World, school_a_entered: School
) -> None:
    dsl = world.person("a", Role.DSL)
    pupil, _ = _record(world, school_a_entered)
    client = school_client(school_a_entered, dsl)
    logged = AccessLogEntry.objects.filter(user_id=dsl.pk, action=AccessAction.EXPORTED)

    job = _made(client, pupil.pk, "external")
    asked = logged.get()
    assert (asked.object_type, asked.object_id, asked.pupil_id) == (
        "pupil",
        str(pupil.pk),
        pupil.pk,
    )
    # Watching it being made is not another look at the record.
    client.get(f"/exports/{job.pk}/")
    client.get(f"/exports/{job.pk}/status/")
    assert logged.count() == 1

    _download(client, job.pk)
    _download(client, job.pk)
    downloads = logged.filter(object_type="export", object_id=str(job.pk), pupil_id=pupil.pk)
    assert downloads.count() == 2


def test_even_a_short_chronology_is_made_by_the_celery_task_once_with_progress(
    world: World,
    school_a_entered: School,
    django_capture_on_commit_callbacks: Callable[..., object],
    private_storage: Path,
) -> None:
    dsl = world.person("a", Role.DSL)
    pupil, _ = _record(world, school_a_entered)
    client = school_client(school_a_entered, dsl)

    with django_capture_on_commit_callbacks() as queued:  # type: ignore[attr-defined]
        job = _ask(client, pupil.pk, "full")
    assert len(queued) == 1  # handed to Celery after commit, not made in the request
    assert (job.status, job.progress, job.file.name) == (ExportJob.Status.QUEUED, 0, "")
    waiting = client.get(f"/exports/{job.pk}/status/").text
    assert 'hx-trigger="every 1s"' in waiting
    assert f'hx-get="/exports/{job.pk}/status/"' in waiting
    assert client.get(f"/exports/{job.pk}/download/").status_code == 404

    with CaptureQueriesContext(connection) as queries:
        assert chronology_export_task.apply(args=[job.pk]).get() is True
    job.refresh_from_db()
    assert (job.status, job.progress, job.entries_count) == (ExportJob.Status.DONE, 100, 4)
    # Progress was written as rendering went on (claimed at 0, entries, pages laid out, file
    # written, stored), for the page that polls it.
    written = [
        int(match)
        for query in queries.captured_queries
        if query["sql"].startswith('UPDATE "safeguarding_exportjob"')
        for match in re.findall(r'"progress" = (\d+)', query["sql"])
    ]
    assert written == sorted(written)
    assert (written[0], written[-1]) == (0, 100)
    assert any(20 < percent < 70 for percent in written)  # during WeasyPrint's layout
    assert 95 in written
    made = (job.file.name, job.file_sha256, job.finished_at)

    # A second delivery of the same message finds the job claimed and makes nothing.
    assert chronology_export_task.apply(args=[job.pk]).get() is False
    job.refresh_from_db()
    assert (job.file.name, job.file_sha256, job.finished_at) == made
    assert len(list((private_storage / school_a_entered.schema_name / "exports").iterdir())) == 1

    ready = client.get(f"/exports/{job.pk}/status/").text
    assert "hx-trigger" not in ready
    assert f"/exports/{job.pk}/download/" in ready
    assert STAFF_ACCOUNT in _download(client, job.pk)[1]


def test_an_export_whose_run_died_is_made_when_its_message_runs_again_and_failed_after_three(
    world: World, school_a_entered: School, private_storage: Path
) -> None:
    dsl = world.person("a", Role.DSL)
    pupil, _ = _record(world, school_a_entered)
    client = school_client(school_a_entered, dsl)
    job = _ask(client, pupil.pk, "full")
    # Message "m1" claimed the job and its worker's child was killed: the worker rejected the
    # message back to the queue (CELERY_TASK_REJECT_ON_WORKER_LOST), long before the claim lapses.
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now(), claimed_by="m1", runs=1
    )

    assert chronology_export_task.apply(args=[job.pk], task_id="m2").get() is False
    assert chronology_export_task.apply(args=[job.pk], task_id="m1").get() is True
    job.refresh_from_db()
    assert (job.status, job.runs) == (ExportJob.Status.DONE, 2)
    assert STAFF_ACCOUNT in _download(client, job.pk)[1]

    # A PDF that killed its worker at each of three runs does not go round for ever.
    stuck = _ask(client, pupil.pk, "full")
    ExportJob.objects.filter(pk=stuck.pk).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now(), claimed_by="m3", runs=3
    )
    assert chronology_export_task.apply(args=[stuck.pk], task_id="m3").get() is False
    stuck.refresh_from_db()
    assert stuck.status == ExportJob.Status.FAILED
    assert "stopped the worker each time" in client.get(f"/exports/{stuck.pk}/status/").text


def test_an_export_holds_the_chain_as_it_was_when_asked_for(
    world: World, school_a_entered: School
) -> None:
    dsl = world.person("a", Role.DSL)
    pupil, _ = _record(world, school_a_entered)
    client = school_client(school_a_entered, dsl)
    job = _ask(client, pupil.pk, "full")
    head = job.chain_head
    # Written after the export was asked for, before a worker made it.
    contact_record(
        pupil=pupil,
        author=person(dsl, Role.DSL),
        kind=ChronologyEntry.Kind.MEETING,
        occurred_at=timezone.now(),
        summary="A later strategy meeting that this export must not hold.",
        participants="Social worker",
    )

    chronology_export_task.apply(args=[job.pk]).get()

    text = _download(client, job.pk)[1]
    assert f"Chronology chain head: {head}" in text
    assert "4 entries included" in text
    assert "later strategy meeting" not in text


def test_an_export_is_not_made_for_someone_who_lost_their_role_meanwhile(
    world: World, school_a_entered: School
) -> None:
    deputy = world.person("a", Role.DEPUTY_DSL)
    pupil, _ = _record(world, school_a_entered)
    job = _ask(school_client(school_a_entered, deputy), pupil.pk, "full")
    SchoolMembership.objects.filter(user=deputy).update(role=Role.STAFF)

    assert chronology_export_task.apply(args=[job.pk]).get() is False

    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert not job.file
    assert "Tamsin" not in job.error


def test_an_export_is_for_its_requester_only_and_other_schools_get_the_same_404(
    world: World, school_a: School, school_b: School
) -> None:
    with schema_context(school_b.schema_name):
        pupil_b = make_pupil("Oriel", "Penhaligon")
        job_b = _ask(school_client(school_b, world.person("b", Role.DSL)), pupil_b.pk, "full")
    with schema_context(school_a.schema_name):
        pupil_a = make_pupil("Tamsin", "Quillfeather")
        job_a = _ask(school_client(school_a, world.person("a", Role.DSL)), pupil_a.pk, "full")
    # School B's export id, asked for on school A's site by A's DSL: as if it did not exist.
    dsl_a = school_client(school_a, world.person("a", Role.DSL))
    for path in ("/", "/status/", "/download/"):
        missing = dsl_a.get(f"/exports/{job_a.pk + job_b.pk + 1000}{path}")
        assert missing.status_code == 404
        # The deputy reads every record, yet the DSL's file carries the DSL's name.
        deputy = school_client(school_a, world.person("a", Role.DEPUTY_DSL))
        assert deputy.get(f"/exports/{job_a.pk}{path}").status_code == 404
        # B's DSL on A's site: not a member here.
        other = school_client(school_a, world.person("b", Role.DSL))
        assert other.get(f"/exports/{job_a.pk}{path}").status_code == 404
    assert dsl_a.get(f"/pupils/{pupil_b.pk + pupil_a.pk + 1000}/exports/").status_code == 404


@pytest.mark.parametrize(
    "who", [("a", Role.STAFF), ("a", Role.KEY_HOLDER), ("b", Role.DSL), ("c", Role.DSL)]
)
def test_staff_key_holders_and_other_schools_cannot_export(
    world: World, school_a: School, who: tuple[str, Role]
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Tamsin", "Quillfeather")
    client = school_client(school_a, world.person(*who))

    assert client.get(f"/pupils/{pupil.pk}/exports/").status_code == 404
    assert client.post(f"/pupils/{pupil.pk}/exports/new/", {"version": "full"}).status_code == 404
    with schema_context(school_a.schema_name):
        assert not ExportJob.objects.exists()
        assert not AccessLogEntry.objects.filter(action=AccessAction.EXPORTED).exists()


def test_anonymous_is_sent_to_sign_in(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Tamsin", "Quillfeather")
    response = school_client(school_a).post(f"/pupils/{pupil.pk}/exports/new/", {"version": "full"})
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_chronology_page_offers_the_export_to_those_who_read_everything(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Tamsin", "Quillfeather")
    page = school_client(school_a, world.person("a", Role.DSL)).get(
        f"/pupils/{pupil.pk}/chronology/"
    )
    assert f'action="/pupils/{pupil.pk}/exports/"' in page.text
    assert "Export as PDF" in page.text
    listing = school_client(school_a, world.person("a", Role.DSL)).get(
        f"/pupils/{pupil.pk}/exports/"
    )
    assert "Make the PDF" in listing.text


def test_staff_names_are_found_in_any_case_and_with_a_title_but_the_pupils_name_stays() -> None:
    names = StaffNames(
        {"Ada Okonkwo-Reyes": "DSL", "Bram Quillfeather": "Member of staff"},
        keep=["Tamsin Quillfeather"],
    )
    assert names.redact("Told ada  OKONKWO-REYES; Mrs Okonkwo-Reyes agreed.") == (
        "Told DSL; DSL agreed."
    )
    # The pupil's surname: "Mr Quillfeather" is more likely her father than a colleague.
    assert names.redact("Bram Quillfeather spoke to Mr Quillfeather and Tamsin Quillfeather.") == (
        "Member of staff spoke to Mr Quillfeather and Tamsin Quillfeather."
    )
    assert names.redact("Adaline stayed.") == "Adaline stayed."


@contextmanager
def _broker_down() -> Iterator[None]:
    """Redis down: messages are sent to an address where nothing listens (a port the OS handed
    out, now closed), for real rather than run in this process."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    before = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = f"redis://127.0.0.1:{port}/0", False
    app.amqp._producer_pool = None  # producers are made again, for the address now configured
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = before
        app.amqp._producer_pool = None


def test_with_the_broker_down_the_export_fails_at_once_and_says_to_ask_again(
    world: World, school_a_entered: School
) -> None:
    pupil, _ = _record(world, school_a_entered)
    client = school_client(school_a_entered, world.person("a", Role.DSL))

    with _broker_down(), TestCase.captureOnCommitCallbacks(execute=True):
        job = _ask(client, pupil.pk, "full")

    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    page = client.get(f"/exports/{job.pk}/").text
    assert "Could not be queued. Please ask for the export again." in page
    assert 'hx-trigger="every 1s"' not in page
