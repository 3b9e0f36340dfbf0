"""The body map of a concern: where a mark may go, how it reads, and who sees it where."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.test import TestCase
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.body_map import mark_place
from safeguarding.demo.text import ALLEGATION_TEMPLATES, TEMPLATES
from safeguarding.models import Concern, ExportJob, Pupil
from safeguarding.services.access import key_holder_access_set
from safeguarding.services.chronology import Person
from safeguarding.services.concerns import concern_record
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role

# Points in the outline's coordinates (x 0-100 as the viewer sees it, y 0-220).
ON_VIEWERS_LEFT_FOREARM = {"x": "17", "y": "90"}
BESIDE_VIEWERS_LEFT_ARM = {"x": "25", "y": "62"}  # between the upper arm and the chest
BETWEEN_THE_LEGS = {"x": "50", "y": "150"}
NOTE = "bruise, 3 cm, yellowish"
ACCOUNT = 'She said "I fell off my bike" and held her arm close.'


def _minute() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def _form(school: School, pupil: Pupil, *marks: dict[str, str], **overrides: object) -> dict:
    with schema_context(school.schema_name):
        categories = [str(c) for c in category_ids("physical-abuse")]
    return {
        "pupils": [str(pupil.pk)],
        "categories": categories,
        "occurred_at": _minute(),
        "location": "Year 4 cloakroom",
        "account": ACCOUNT,
        "mark_view": [m["view"] for m in marks],
        "mark_x": [m["x"] for m in marks],
        "mark_y": [m["y"] for m in marks],
        "mark_note": [m.get("note", "") for m in marks],
    } | overrides


def _record(school: School, author: Person, pupil: Pupil, marks: list[dict], **kw: Any) -> Concern:
    return concern_record(
        school=school,
        author=author,
        pupil_ids=[pupil.pk],
        category_ids=kw.pop("categories", None) or category_ids("physical-abuse"),
        account=ACCOUNT,
        body_map=marks,
        **kw,
    )


@pytest.fixture
def pupil(school_a: School) -> Iterator[Pupil]:
    with schema_context(school_a.schema_name):
        yield make_pupil("Ysolde", "Marchbanks", year_group=4, form="4R")


# --- where a mark may go -----------------------------------------------------------------------


def test_a_mark_beside_the_arm_is_refused_by_its_number_and_one_on_the_arm_is_kept(
    world: World, school_a: School, pupil: Pupil
) -> None:
    staff = person(world.person("a", Role.STAFF), Role.STAFF)
    with schema_context(school_a.schema_name):
        with pytest.raises(ValidationError) as refused:
            _record(
                school_a,
                staff,
                pupil,
                [
                    {"view": "front", **ON_VIEWERS_LEFT_FOREARM, "note": NOTE},
                    {"view": "front", **BESIDE_VIEWERS_LEFT_ARM},
                    {"view": "back", **BETWEEN_THE_LEGS},
                ],
            )
        assert refused.value.message_dict["body_map"] == [
            "Mark 2 (Front) is not on the body: tap on the outline, or choose the place "
            "from the list.",
            "Mark 3 (Back) is not on the body: tap on the outline, or choose the place "
            "from the list.",
        ]
        assert not Concern.objects.exists()

        concern = _record(
            school_a, staff, pupil, [{"view": "front", **ON_VIEWERS_LEFT_FOREARM, "note": NOTE}]
        )
        assert concern.body_map == [
            {"view": "front", "x": 17.0, "y": 90.0, "region": "right_forearm", "note": NOTE}
        ]


def test_left_and_right_are_the_childs_on_the_front_and_on_the_back(
    world: World, school_a: School, pupil: Pupil
) -> None:
    """Facing the viewer, the child's right arm is on the viewer's left; from behind, their left."""
    with schema_context(school_a.schema_name):
        concern = _record(
            school_a,
            person(world.person("a", Role.STAFF), Role.STAFF),
            pupil,
            [
                {"view": "front", **ON_VIEWERS_LEFT_FOREARM, "note": NOTE},
                {"view": "back", **ON_VIEWERS_LEFT_FOREARM, "note": "scratch"},
                {"view": "front", "x": "61", "y": "140"},  # viewer's right thigh
                {"view": "back", "x": "61", "y": "140"},
            ],
        )
    page = school_client(school_a, world.person("a", Role.DSL)).get(f"/concerns/{concern.pk}/")

    assert "1. Front, child&#x27;s right forearm: bruise, 3 cm, yellowish" in page.text
    assert "2. Back, child&#x27;s left forearm: scratch" in page.text
    assert "3. Front, child&#x27;s left thigh" in page.text
    assert "4. Back, child&#x27;s right thigh" in page.text


def test_a_mark_chosen_from_the_list_of_places_is_put_at_the_middle_of_that_place(
    world: World, school_a: School, pupil: Pupil
) -> None:
    client = school_client(school_a, world.person("a", Role.STAFF))
    response = client.post(
        "/concerns/new/",
        _form(school_a, pupil, body_map_region="back:left_thigh", body_map_note="hand-shaped mark"),
    )

    assert response.status_code == 302
    with schema_context(school_a.schema_name):
        assert Concern.objects.get().body_map == [
            {
                "view": "back",
                "x": 38.7,
                "y": 142.1,
                "region": "left_thigh",
                "note": "hand-shaped mark",
            }
        ]


# --- the form ----------------------------------------------------------------------------------


def test_a_refused_mark_is_named_and_the_form_keeps_everything_typed(
    world: World, school_a: School, pupil: Pupil
) -> None:
    client = school_client(school_a, world.person("a", Role.STAFF))
    page = client.post(
        "/concerns/new/",
        _form(
            school_a,
            pupil,
            {"view": "front", **ON_VIEWERS_LEFT_FOREARM, "note": NOTE},
            {"view": "front", **BESIDE_VIEWERS_LEFT_ARM, "note": "small red mark"},
        ),
    )

    assert page.status_code == 200
    assert "Mark 2 (Front) is not on the body" in page.text
    assert "She said &quot;I fell off my bike&quot; and held her arm close." in page.text
    assert 'value="Year 4 cloakroom"' in page.text
    assert f'value="{NOTE}"' in page.text  # the good mark and its note are still there
    assert 'value="small red mark"' in page.text  # and the refused one, to move or remove
    assert "not on the body: remove it and place it again" in page.text
    assert "Ysolde Marchbanks" in page.text
    with schema_context(school_a.schema_name):
        assert not Concern.objects.exists()


def test_without_javascript_adding_and_removing_marks_shows_the_form_again_as_typed(
    world: World, school_a: School, pupil: Pupil
) -> None:
    client = school_client(school_a, world.person("a", Role.STAFF))
    added = client.post(
        "/concerns/new/",
        _form(
            school_a,
            pupil,
            {"view": "front", **ON_VIEWERS_LEFT_FOREARM, "note": NOTE},
            pupils=[],
            body_map_region="front:head",
            body_map_note="graze on the forehead",
            body_map_action="add",
        ),
    )

    assert added.status_code == 200
    assert "Front, child&#x27;s right forearm" in added.text
    assert f'value="{NOTE}"' in added.text
    assert "Front, head" in added.text
    assert 'value="graze on the forehead"' in added.text
    assert "She said &quot;I fell off my bike&quot;" in added.text
    assert "Choose at least one pupil." not in added.text  # nothing was recorded, nor judged

    removed = client.post(
        "/concerns/new/",
        _form(
            school_a,
            pupil,
            {"view": "front", **ON_VIEWERS_LEFT_FOREARM, "note": NOTE},
            {"view": "front", "x": "50", "y": "16", "note": "graze on the forehead"},
            body_map_remove="0",
        ),
    )
    assert removed.status_code == 200
    assert NOTE not in removed.text
    assert 'value="graze on the forehead"' in removed.text
    with schema_context(school_a.schema_name):
        assert not Concern.objects.exists()


# --- where the map is shown --------------------------------------------------------------------


def test_the_receipt_and_the_concern_page_draw_the_map_and_list_the_marks(
    world: World, school_a: School, pupil: Pupil
) -> None:
    staff = world.person("a", Role.STAFF)
    client = school_client(school_a, staff)
    response = client.post(
        "/concerns/new/",
        _form(school_a, pupil, {"view": "front", "x": "83", "y": "91", "note": NOTE}),
    )
    receipt = client.get(response["Location"]).text
    with schema_context(school_a.schema_name):
        concern = Concern.objects.get()
    case = school_client(school_a, world.person("a", Role.DSL)).get(f"/concerns/{concern.pk}/").text

    for page in (receipt, case):
        assert "1. Front, child&#x27;s left forearm: bruise, 3 cm, yellowish" in page
        assert page.count('class="body-outline"') == 2
        assert "Child&#x27;s" in page and ">left<" in page and ">right<" in page
        assert '<circle cx="83" cy="91"' in page


def test_marks_recorded_before_marks_had_places_still_show(
    world: World, school_a: School, pupil: Pupil
) -> None:
    with schema_context(school_a.schema_name):
        # The shape of marks recorded before: fractions of the outline, no region. Written as
        # the rows are in the database; recording today refuses this shape.
        concern = Concern.objects.create(
            occurred_at=timezone.now(),
            account=ACCOUNT,
            body_map=[
                {"side": "front", "x": 0.17, "y": 0.41, "note": "bruise"},
                {"side": "back", "x": 0.27, "y": 0.45, "note": ""},
            ],
            author_id=world.person("a", Role.STAFF).pk,
            author_name="Someone",
            author_role="staff",
        )
        concern.pupils.add(pupil)
        concern.categories.set(category_ids("physical-abuse"))
    page = school_client(school_a, world.person("a", Role.DSL)).get(f"/concerns/{concern.pk}/")

    assert "1. Front, child&#x27;s right forearm: bruise" in page.text
    assert "2. Back, not on the outline" in page.text


# --- who sees it -------------------------------------------------------------------------------


def test_body_maps_are_seen_only_where_the_concern_may_be_seen(
    world: World, school_a: School, pupil: Pupil
) -> None:
    staff = person(world.person("a", Role.STAFF), Role.STAFF)
    with schema_context(school_a.schema_name):
        granted = _record(
            school_a,
            staff,
            pupil,
            [{"view": "front", "x": "50", "y": "56", "note": "mark on the chest"}],
            categories=category_ids("bullying"),
        )
        other = _record(
            school_a, staff, pupil, [{"view": "back", "x": "50", "y": "90", "note": "welts"}]
        )
        key_holder_access_set(
            school=school_a,
            key_holder=world.person("a", Role.KEY_HOLDER),
            category_ids=category_ids("bullying"),
            year_groups=[4],
            actor=world.person("a", Role.DSL),
        )
    key_holder = school_client(school_a, world.person("a", Role.KEY_HOLDER))
    assert "1. Front, chest: mark on the chest" in key_holder.get(f"/concerns/{granted.pk}/").text
    refused = key_holder.get(f"/concerns/{other.pk}/")
    assert refused.status_code == 404
    assert "welts" not in refused.text
    assert "welts" not in key_holder.get(f"/pupils/{pupil.pk}/chronology/").text

    # The author sees their receipt with its map; nobody else sees that receipt.
    author = school_client(school_a, world.person("a", Role.STAFF))
    assert "1. Back, lower back: welts" in author.get(f"/concerns/{other.pk}/receipt/").text
    assert author.get(f"/concerns/{other.pk}/").status_code == 404
    governor = school_client(school_a, world.person("a", Role.GOVERNOR))
    for client, url in (
        (key_holder, f"/concerns/{other.pk}/receipt/"),
        (governor, f"/concerns/{other.pk}/receipt/"),
        (governor, f"/concerns/{other.pk}/"),
    ):
        response = client.get(url)
        assert response.status_code in {403, 404}
        assert "welts" not in response.text
    other_school = school_client(world.school_b, world.person("b", Role.DSL))
    assert other_school.get(f"/concerns/{other.pk}/").status_code == 404


# --- the PDFs ----------------------------------------------------------------------------------


@pytest.fixture
def _private_storage(settings: SettingsWrapper, tmp_path: Path) -> None:
    settings.SCHOOL_DOCUMENTS_ROOT = tmp_path / "documents"


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "export.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(out.split())


@pytest.mark.usefixtures("_private_storage", "tasks_run_when_sent")
def test_both_pdfs_list_the_marks_and_the_external_one_names_no_staff(
    world: World, school_a: School, pupil: Pupil, tmp_path: Path
) -> None:
    staff = world.person("a", Role.STAFF)
    with schema_context(school_a.schema_name):
        _record(
            school_a,
            person(staff, Role.STAFF),
            pupil,
            [
                {"view": "front", "x": "83", "y": "91", "note": NOTE},
                {"view": "back", "x": "50", "y": "90", "note": f"seen by {staff.full_name}"},
            ],
            occurred_at=timezone.now() - dt.timedelta(minutes=5),
        )
    client = school_client(school_a, world.person("a", Role.DSL))
    texts: dict[str, str] = {}
    for version in (ExportJob.Version.FULL, ExportJob.Version.EXTERNAL):
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(f"/pupils/{pupil.pk}/exports/new/", {"version": version})
        job_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
        download = client.get(f"/exports/{job_id}/download/")
        assert download.status_code == 200
        assert isinstance(download, FileResponse)
        texts[version] = _pdf_text(b"".join(download.streaming_content), tmp_path)

    for text in texts.values():
        assert "Body map, 2 marks" in text
        assert "1. Front, child's left forearm: bruise, 3 cm, yellowish" in text
        assert "Child's" in text
    assert f"2. Back, lower back: seen by {staff.full_name}" in texts[ExportJob.Version.FULL]
    assert "2. Back, lower back: seen by Member of staff" in texts[ExportJob.Version.EXTERNAL]
    assert staff.full_name not in texts[ExportJob.Version.EXTERNAL]


def test_every_demo_mark_names_a_place_on_the_body() -> None:
    marks = [
        {"view": view, "region": region, "note": note}
        for template in (*TEMPLATES, *ALLEGATION_TEMPLATES)
        for view, region, note in template.body_map
    ]
    assert marks
    for mark in marks:
        mark_place(mark)  # raises MarkRefused for a place the outline does not have
