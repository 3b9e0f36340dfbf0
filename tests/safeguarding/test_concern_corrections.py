"""Correcting a concern: a new version with the reason; the earlier one kept for full readers."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client, TestCase
from django.utils import timezone
from django_tenants.utils import schema_context
from pypdf import PdfReader
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.models import (
    AccessAction,
    AccessLogEntry,
    Action,
    Alert,
    ChronologyEntry,
    Concern,
    ExportJob,
    Pupil,
)
from safeguarding.services.access import key_holder_access_set
from safeguarding.services.concerns import action_add, concern_correct, concern_record
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role

# Words that appear only in the first version: whoever must not read it must not find them.
EARLIER = "Sentinel-earlier-wording-Quorvath"
CORRECTED = "He said his uncle, not his dad, did it when I asked about the bruise."


@pytest.fixture(autouse=True)
def _private_storage(settings: SettingsWrapper, tmp_path: Path) -> None:
    settings.SCHOOL_DOCUMENTS_ROOT = tmp_path / "documents"


def _concern(world: World, school: School, *, year_group: int = 5) -> tuple[Pupil, Concern]:
    pupil = make_pupil("Ottoline", "Brackenbury", year_group=year_group)
    concern = concern_record(
        school=school,
        author=person(world.person("a", Role.STAFF), Role.STAFF),
        pupil_ids=[pupil.pk],
        category_ids=category_ids("online-safety"),
        account=f"{EARLIER}: he said his dad did it when I asked about the bruise.",
        location="Library",
        occurred_at=timezone.now() - dt.timedelta(minutes=3),
    )
    return pupil, concern


# --- the service -------------------------------------------------------------------------------


def test_a_correction_is_a_new_version_and_the_earlier_one_is_unchanged(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil, concern = _concern(world, school_a)
        action = action_add(
            concern=concern,
            actor=person(world.person("a", Role.DSL), Role.DSL),
            kind=Action.Kind.PARENTS_INFORMED,
        )
        corrected = concern_correct(
            concern=concern,
            actor=person(world.person("a", Role.DEPUTY_DSL), Role.DEPUTY_DSL),
            account=CORRECTED,
            reason="The pupil named his uncle; I misheard.",
        )

        earlier = Concern.objects.get(pk=concern.pk)
        assert earlier.account == concern.account
        assert corrected.supersedes_id == concern.pk
        assert corrected.account == CORRECTED
        assert corrected.location == "Library"
        # The account stays its author's; the correction is the deputy's.
        assert corrected.author_name == world.person("a", Role.STAFF).full_name
        assert corrected.corrected_by_name == world.person("a", Role.DEPUTY_DSL).full_name
        assert corrected.recorded_at == earlier.recorded_at
        assert list(corrected.pupils.all()) == [pupil]
        assert Action.objects.get(pk=action.pk).concern_id == corrected.pk
        # The DSL's alert about the new concern now leads to the version the case goes on from.
        assert Alert.objects.filter(concern=corrected, reason=Alert.Reason.NEW_CONCERN).exists()
        assert not Alert.objects.filter(concern=earlier).exists()
        entries = ChronologyEntry.objects.filter(pupil=pupil, kind=ChronologyEntry.Kind.CONCERN)
        first, correction = entries.order_by("pk")
        assert first.body == earlier.account
        assert correction.supersedes_id == first.pk
        assert correction.body == CORRECTED
        assert correction.correction_reason == "The pupil named his uncle; I misheard."


def test_a_correction_needs_a_reason_and_an_account(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        _, concern = _concern(world, school_a)
        with pytest.raises(ValidationError) as refused:
            concern_correct(
                concern=concern,
                actor=person(world.person("a", Role.DSL), Role.DSL),
                account=" ",
                reason="  ",
            )
        assert set(refused.value.message_dict) == {"account", "reason"}
        assert not Concern.objects.filter(supersedes=concern).exists()


@pytest.mark.parametrize("role", [Role.STAFF, Role.KEY_HOLDER, Role.HEADTEACHER, Role.GOVERNOR])
def test_only_the_dsl_or_a_deputy_may_correct(world: World, school_a: School, role: Role) -> None:
    with schema_context(school_a.schema_name):
        _, concern = _concern(world, school_a)
        with pytest.raises(PermissionDenied):
            concern_correct(
                concern=concern,
                actor=person(world.person("a", role), role),
                account=CORRECTED,
                reason="Misheard.",
            )
        assert Concern.objects.count() == 1


def test_a_version_is_corrected_once_and_the_case_goes_on_from_the_newest(
    world: World, school_a: School
) -> None:
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    with schema_context(school_a.schema_name):
        _, concern = _concern(world, school_a)
        second = concern_correct(concern=concern, actor=dsl, account=CORRECTED, reason="Misheard.")
        with pytest.raises(ValidationError, match="already been corrected"):
            concern_correct(concern=concern, actor=dsl, account="Again.", reason="Again.")
        with pytest.raises(ValidationError, match="goes on from its newer version"):
            action_add(concern=concern, actor=dsl, kind=Action.Kind.PARENTS_INFORMED)
        third = concern_correct(
            concern=second, actor=dsl, account=CORRECTED + " At 10am.", reason="Time added."
        )
        assert third.supersedes_id == second.pk


def test_an_allegation_is_not_corrected_as_a_concern(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Ottoline", "Brackenbury")
        allegation = concern_record(
            school=school_a,
            author=person(world.person("a", Role.STAFF), Role.STAFF),
            pupil_ids=[pupil.pk],
            category_ids=category_ids("allegation-staff"),
            account="A pupil said a supply teacher grabbed her arm.",
            adult_name="A supply teacher",
        )
        with pytest.raises(ValidationError, match="allegation's own record"):
            concern_correct(
                concern=allegation,
                actor=person(world.person("a", Role.DSL), Role.DSL),
                account="Changed.",
                reason="Changed.",
            )


# --- the page ----------------------------------------------------------------------------------


def test_the_dsl_corrects_a_concern_from_its_page_and_sees_both_versions(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil, concern = _concern(world, school_a)
    client = school_client(school_a, world.person("a", Role.DSL))

    detail = client.get(f"/concerns/{concern.pk}/").text
    assert f'href="/concerns/{concern.pk}/correct/"' in detail
    form = client.get(f"/concerns/{concern.pk}/correct/")
    assert form.status_code == 200
    assert EARLIER in form.text  # the form starts from the current text
    with schema_context(school_a.schema_name):
        assert (
            AccessLogEntry.objects.filter(
                action=AccessAction.VIEWED_RECORD, object_type="concern", pupil_id=pupil.pk
            ).count()
            == 2
        )  # the concern's page, then the form showing its account

    refused = client.post(f"/concerns/{concern.pk}/correct/", {"account": CORRECTED})
    assert refused.status_code == 200
    assert "This field is required." in refused.text
    response = client.post(
        f"/concerns/{concern.pk}/correct/",
        {"account": CORRECTED, "location": "Library", "reason": "The pupil named his uncle."},
    )

    with schema_context(school_a.schema_name):
        corrected = Concern.objects.get(supersedes=concern)
    assert response.status_code == 302
    assert response["Location"] == f"/concerns/{corrected.pk}/"
    # The earlier version's address leads to the current one.
    assert client.get(f"/concerns/{concern.pk}/")["Location"] == f"/concerns/{corrected.pk}/"
    page = client.get(f"/concerns/{corrected.pk}/").text
    assert CORRECTED in page
    assert "Corrected on" in page
    assert world.person("a", Role.DSL).full_name in page
    assert "reason: The pupil named his uncle." in page
    assert EARLIER in page  # the earlier version, kept and shown as replaced
    assert "replaced by a correction" in page
    chronology = client.get(f"/pupils/{pupil.pk}/chronology/").text
    assert CORRECTED in chronology
    assert EARLIER in chronology
    assert "correction</strong> of an earlier version: The pupil named his uncle." in chronology
    dsl_name = world.person("a", Role.DSL).full_name
    assert f"by {dsl_name}, reason: The pupil named his uncle." in chronology
    inbox = client.get("/concerns/").text
    assert f"C{corrected.pk}<" in inbox
    assert f"C{concern.pk}<" not in inbox


def test_a_key_holder_sees_the_corrected_version_only(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil, concern = _concern(world, school_a)
        corrected = concern_correct(
            concern=concern,
            actor=person(world.person("a", Role.DSL), Role.DSL),
            account=CORRECTED,
            reason="Misheard.",
        )
        key_holder_access_set(
            school=school_a,
            key_holder=world.person("a", Role.KEY_HOLDER),
            category_ids=category_ids("online-safety"),
            year_groups=[5],
            actor=world.person("a", Role.DSL),
        )
    client = school_client(school_a, world.person("a", Role.KEY_HOLDER))

    page = client.get(f"/concerns/{corrected.pk}/")
    assert page.status_code == 200
    assert CORRECTED in page.text
    assert EARLIER not in page.text
    assert client.get(f"/concerns/{concern.pk}/")["Location"] == f"/concerns/{corrected.pk}/"
    chronology = client.get(f"/pupils/{pupil.pk}/chronology/").text
    assert CORRECTED in chronology
    assert EARLIER not in chronology
    # Reading is not correcting.
    assert client.get(f"/concerns/{corrected.pk}/correct/").status_code == 404


@pytest.mark.parametrize(
    ("place", "role"),
    [("a", Role.STAFF), ("a", Role.KEY_HOLDER), ("a", Role.HEADTEACHER), ("b", Role.DSL)],
)
def test_weaker_roles_and_other_schools_cannot_correct(
    world: World, school_a: School, place: str, role: Role
) -> None:
    with schema_context(school_a.schema_name):
        _, concern = _concern(world, school_a)
    client = school_client(school_a, world.person(place, role))

    assert client.get(f"/concerns/{concern.pk}/correct/").status_code in {403, 404}
    response = client.post(
        f"/concerns/{concern.pk}/correct/", {"account": CORRECTED, "reason": "Misheard."}
    )
    assert response.status_code in {403, 404}
    with schema_context(school_a.schema_name):
        assert not Concern.objects.filter(supersedes=concern).exists()


def test_anonymous_is_sent_to_sign_in(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        _, concern = _concern(world, school_a)
    response = school_client(school_a).post(
        f"/concerns/{concern.pk}/correct/", {"account": CORRECTED, "reason": "Misheard."}
    )
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    with schema_context(school_a.schema_name):
        assert not Concern.objects.filter(supersedes=concern).exists()


# --- the PDF -----------------------------------------------------------------------------------


def _pdf_text(client: Client, pupil_id: int, version: str) -> str:
    # Every PDF is made by a worker: the task queued on commit makes it here.
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(f"/pupils/{pupil_id}/exports/new/", {"version": version})
    job_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    download = client.get(f"/exports/{job_id}/download/")
    pdf = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


@pytest.mark.usefixtures("tasks_run_when_sent")
def test_the_full_pdf_holds_both_versions_and_the_external_one_the_current(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil, concern = _concern(world, school_a)
        concern_correct(
            concern=concern,
            actor=person(world.person("a", Role.DSL), Role.DSL),
            account=CORRECTED,
            reason="The pupil named his uncle.",
        )
    client = school_client(school_a, world.person("a", Role.DSL))

    full = _pdf_text(client, pupil.pk, "full")
    external = _pdf_text(client, pupil.pk, "external")

    assert EARLIER in full
    assert "Superseded" in full
    assert "his uncle, not his dad" in full
    dsl_name = world.person("a", Role.DSL).full_name
    assert f"by {dsl_name} (DSL), reason: The pupil named his uncle." in full
    assert "his uncle, not his dad" in external
    assert EARLIER not in external
    with schema_context(school_a.schema_name):
        assert ExportJob.objects.filter(status=ExportJob.Status.DONE).count() == 2
