from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import AccessLogEntry, ChronologyEntry, Concern, Document
from safeguarding.services.concerns import concern_record, contact_record
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role


def _minute(delta: dt.timedelta = dt.timedelta(0)) -> str:
    return (timezone.localtime() + delta).strftime("%Y-%m-%dT%H:%M")


def _form(school: School, pupil_id: int, **overrides: object) -> dict[str, object]:
    with schema_context(school.schema_name):
        categories = [str(c) for c in category_ids("physical-abuse")]
    return {
        "pupils": [str(pupil_id)],
        "categories": categories,
        "occurred_at": _minute(),
        "location": "Playground",
        "account": 'He said "my dad did it" when I asked about the bruise.',
        # One mark on the child's right forearm, as the form posts it.
        "mark_view": ["front"],
        "mark_x": ["17"],
        "mark_y": ["90"],
        "mark_note": [""],
    } | overrides


def test_a_member_of_staff_records_a_concern_and_gets_a_receipt(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Jory", "Vantongeren")
    client = school_client(school_a, world.person("a", Role.STAFF))

    assert client.get("/concerns/new/").status_code == 200
    response = client.post("/concerns/new/", _form(school_a, pupil.pk))

    assert response.status_code == 302
    receipt = client.get(response["Location"])
    assert "Receipt for your concern" in receipt.text
    assert "Jory Vantongeren" in receipt.text
    with schema_context(school_a.schema_name):
        concern = Concern.objects.get()
        assert concern.body_map == [
            {"view": "front", "x": 17.0, "y": 90.0, "region": "right_forearm", "note": ""}
        ]
    # Staff see their receipt, never the case.
    assert client.get(f"/concerns/{concern.pk}/").status_code == 404
    assert client.get(f"/pupils/{pupil.pk}/chronology/").status_code == 404


def test_a_concern_with_no_pupil_or_category_is_refused_and_nothing_is_written(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Jory", "Vantongeren")
    client = school_client(school_a, world.person("a", Role.STAFF))

    page = client.post("/concerns/new/", _form(school_a, pupil.pk, pupils=[], categories=[]))

    assert page.status_code == 200
    assert "Choose at least one pupil." in page.text
    assert "Choose at least one category." in page.text
    with schema_context(school_a.schema_name):
        assert not Concern.objects.exists()


def test_a_backdated_concern_without_a_reason_is_refused(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Jory", "Vantongeren")
    client = school_client(school_a, world.person("a", Role.STAFF))
    yesterday = _minute(-dt.timedelta(days=1))

    page = client.post("/concerns/new/", _form(school_a, pupil.pk, occurred_at=yesterday))

    assert "say why it is recorded later" in page.text
    with schema_context(school_a.schema_name):
        assert not Concern.objects.exists()


def test_the_recording_search_shows_only_name_year_and_form_of_this_schools_pupils(
    world: World, school_a: School, school_b: School
) -> None:
    with schema_context(school_a.schema_name):
        make_pupil("Perpetua", "Quenby", year_group=4, form="4Q")
    with schema_context(school_b.schema_name):
        make_pupil("Perpetua", "Other", year_group=9, form="9Z")
    fragment = school_client(school_a, world.person("a", Role.STAFF)).post(
        "/pupils/search/", {"q": "perp"}
    )
    assert "Perpetua Quenby" in fragment.text
    assert "Year 4, 4Q" in fragment.text
    assert "Other" not in fragment.text
    assert "A0" not in fragment.text  # no UPN


def test_the_dsl_screens_and_the_chronology_reads_in_the_order_things_happened(
    world: World, school_a: School
) -> None:
    dsl = world.person("a", Role.DSL)
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Jory", "Vantongeren")
        concern = concern_record(
            school=school_a,
            author=person(world.person("a", Role.STAFF), Role.STAFF),
            pupil_ids=[pupil.pk],
            category_ids=category_ids("neglect"),
            account="Hungry at breakfast club.",
            occurred_at=timezone.now() - dt.timedelta(minutes=10),
        )
    client = school_client(school_a, dsl)

    response = client.post(
        f"/concerns/{concern.pk}/screen/", {"level": "medium", "rationale": "Third this term"}
    )
    assert response.status_code == 302
    client.post(
        f"/pupils/{pupil.pk}/contacts/",
        {
            "kind": "phone_call",
            "occurred_at": (timezone.localtime() - dt.timedelta(minutes=1)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "person": "Duty social worker",
            "agency": "Children's social care",
            "summary": "Shared the concern; they will call back.",
        },
    )
    page = client.get(f"/pupils/{pupil.pk}/chronology/")
    text = page.text
    # In the order things happened: concern (10 min ago), the call (5 min ago), screening (now).
    assert (
        text.index("Concern recorded: Neglect")
        < text.index("Telephone call with Duty social worker")
        < text.index("Screened: Medium level")
    )
    with schema_context(school_a.schema_name):
        logged = AccessLogEntry.objects.filter(pupil_id=pupil.pk, user_id=dsl.pk).count()
    assert logged >= 1


def test_the_chronology_page_runs_the_same_number_of_queries_for_1_or_30_entries(
    world: World, school_a: School
) -> None:
    dsl = world.person("a", Role.DSL)
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Jory", "Vantongeren")
        contact_record(
            pupil=pupil,
            author=person(dsl, Role.DSL),
            kind=ChronologyEntry.Kind.MEETING,
            occurred_at=timezone.now(),
            summary="First",
            participants="DSL",
        )
    client = school_client(school_a, dsl)
    client.get(f"/pupils/{pupil.pk}/chronology/")  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        client.get(f"/pupils/{pupil.pk}/chronology/")
    with schema_context(school_a.schema_name):
        for n in range(29):
            contact_record(
                pupil=pupil,
                author=person(dsl, Role.DSL),
                kind=ChronologyEntry.Kind.MEETING,
                occurred_at=timezone.now(),
                summary=f"Meeting {n}",
                participants="DSL",
            )
    with CaptureQueriesContext(connection) as thirty:
        page = client.get(f"/pupils/{pupil.pk}/chronology/")
    assert page.text.count('class="entry ') == 30
    assert len(thirty.captured_queries) == len(one.captured_queries)


@pytest.mark.parametrize("place", ["b", "c"])
def test_another_schools_dsl_gets_404_for_every_id(
    world: World, school_a: School, place: str
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Jory", "Vantongeren")
        concern = concern_record(
            school=school_a,
            author=person(world.person("a", Role.STAFF), Role.STAFF),
            pupil_ids=[pupil.pk],
            category_ids=category_ids("neglect"),
            account="Hungry.",
        )
    other_school = world.school_b if place == "b" else world.school_c
    client = school_client(other_school, world.person(place, Role.DSL))
    for url in (f"/concerns/{concern.pk}/", f"/pupils/{pupil.pk}/chronology/"):
        assert client.get(url).status_code == 404


# The smallest document the content check accepts as a PDF.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def test_a_concern_with_an_attachment_stores_it_on_the_pupils_record(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Jory", "Vantongeren")
    client = school_client(school_a, world.person("a", Role.STAFF))
    note = SimpleUploadedFile("note.pdf", PDF, content_type="application/pdf")

    response = client.post("/concerns/new/", _form(school_a, pupil.pk, attachments=note))

    assert response.status_code == 302
    with schema_context(school_a.schema_name):
        document = Document.objects.get()
        assert document.pupil_id == pupil.pk
        assert ChronologyEntry.objects.filter(pupil=pupil, kind="document").count() == 1


def test_the_receipt_names_the_files_attached(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupils = [make_pupil("Jory", "Vantongeren"), make_pupil("Ines", "Vantongeren")]
    client = school_client(school_a, world.person("a", Role.STAFF))
    note = SimpleUploadedFile("handwritten-note.pdf", PDF, content_type="application/pdf")
    form = _form(school_a, pupils[0].pk, attachments=note) | {"pupils": [p.pk for p in pupils]}

    receipt = client.get(client.post("/concerns/new/", form)["Location"]).text

    # Once, though the file is kept on each child's record.
    assert receipt.count("handwritten-note.pdf") == 1
    assert "<dt>Attached</dt>" in receipt

    # The DSL sees it on the concern too, one click from the file.
    with schema_context(school_a.schema_name):
        concern = Concern.objects.get()
        first = Document.objects.filter(concern=concern).order_by("id").first()
    case = school_client(school_a, world.person("a", Role.DSL)).get(f"/concerns/{concern.pk}/")
    assert case.text.count("handwritten-note.pdf") == 1
    assert first is not None and f'href="/documents/{first.pk}/"' in case.text


def test_a_disguised_attachment_refuses_the_whole_concern(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Jory", "Vantongeren")
    client = school_client(school_a, world.person("a", Role.STAFF))
    fake = SimpleUploadedFile("photo.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")

    page = client.post("/concerns/new/", _form(school_a, pupil.pk, attachments=fake))

    assert page.status_code == 200
    assert "photo.pdf" in page.text
    with schema_context(school_a.schema_name):
        assert not Concern.objects.exists()
        assert not ChronologyEntry.objects.exists()


def test_opening_a_concern_logs_a_view_for_each_child_named_on_it(
    world: World, school_a: School
) -> None:
    dsl = world.person("a", Role.DSL)
    with schema_context(school_a.schema_name):
        first, second = make_pupil("Jory", "Vantongeren"), make_pupil("Ines", "Vantongeren")
        concern = concern_record(
            school=school_a,
            author=person(world.person("a", Role.STAFF), Role.STAFF),
            pupil_ids=[first.pk, second.pk],
            category_ids=category_ids("neglect"),
            account="Both arrived without coats in the snow.",
        )
    assert school_client(school_a, dsl).get(f"/concerns/{concern.pk}/").status_code == 200
    with schema_context(school_a.schema_name):
        logged = set(
            AccessLogEntry.objects.filter(object_type="concern", user_id=dsl.pk).values_list(
                "pupil_id", flat=True
            )
        )
    assert logged == {first.pk, second.pk}
