"""The agency directory and the disclosure log: only the headteacher or the DSL approve sharing,
every step is in the child's chronology, every document issued is recorded, and the child is
told or the reason they were not is written down."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings

from safeguarding.models import (
    AccessLogEntry,
    Agency,
    AgencyContact,
    ChronologyEntry,
    Disclosure,
    Document,
    LawfulBasis,
    Pupil,
)
from safeguarding.services.chronology import Person
from safeguarding.services.documents import document_upload
from safeguarding.services.sharing import (
    agency_contact_create,
    agency_create,
    agency_update,
    disclosure_decide,
    disclosure_record_child_informed,
    disclosure_record_shared,
    disclosure_request_record,
)
from tenants.models import School
from tests.conftest import World, school_client
from trustplatform.accounts.models import Role

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
_upns = itertools.count(1)


def make_pupil() -> Pupil:
    """An invented pupil in the current school's schema."""
    return Pupil.objects.create(
        upn=f"S{next(_upns):012d}",
        legal_first_name="Rowan",
        legal_last_name="Ashdown",
        date_of_birth=dt.date(2014, 9, 21),
        sex=Pupil.Sex.MALE,
        year_group=6,
    )


def person_of(world: World, role: Role, place: str = "a") -> Person:
    user = world.person(place, role)
    return Person(user_id=user.pk, name=user.full_name, role=role.value)


def make_agency(author: Person, name: str = "Northshire Children's Social Care") -> Agency:
    return agency_create(
        author=author,
        name=name,
        kind=Agency.Kind.CHILDRENS_SOCIAL_CARE,
        phone="01632 960000",
        email="mash@northshire.example.org",
    )


def make_request(world: World, pupil: Pupil, agency: Agency, **overrides: Any) -> Disclosure:
    values: dict[str, Any] = {
        "pupil": pupil,
        "agency": agency,
        "requested_by": "Priya Okonjo, social worker",
        "request_summary": "Attendance and any concerns since September.",
        "request_received_at": timezone.now() - dt.timedelta(minutes=5),
        "author": person_of(world, Role.DEPUTY_DSL),
    }
    return disclosure_request_record(**(values | overrides))


def approve(world: World, disclosure: Disclosure, role: Role = Role.DSL) -> Disclosure:
    return disclosure_decide(
        disclosure=disclosure,
        approve=True,
        approver=person_of(world, role),
        lawful_basis=[LawfulBasis.PUBLIC_TASK, LawfulBasis.SAFEGUARDING],
    )


def entries_of(disclosure: Disclosure) -> list[ChronologyEntry]:
    return list(
        ChronologyEntry.objects.filter(disclosure_id=disclosure.pk).order_by("recorded_at", "id")
    )


@pytest.fixture
def in_a(school_a: School) -> Any:
    with schema_context(school_a.schema_name):
        yield


@pytest.fixture
def documents_root(settings: Settings, tmp_path: Path) -> Path:
    settings.SCHOOL_DOCUMENTS_ROOT = tmp_path / "documents"
    settings.CLAMD_SOCKET = settings.CLAMD_HOST = ""
    return tmp_path / "documents"


# --- the whole journey, through the services ---------------------------------------------------


def test_each_step_of_a_disclosure_is_added_to_the_chronology(
    world: World, in_a: None, documents_root: Path
) -> None:
    dsl = person_of(world, Role.DSL)
    pupil = make_pupil()
    letter = document_upload(
        pupil=pupil,
        uploaded_file=SimpleUploadedFile("attendance.pdf", PDF),
        overview="Attendance summary",
        author=dsl,
    )
    agency = make_agency(dsl)
    contact = agency_contact_create(agency=agency, author=dsl, name="Priya Okonjo", role="SW")

    disclosure = make_request(world, pupil, agency, contact=contact)
    approve(world, disclosure)
    disclosure_record_shared(
        disclosure=disclosure,
        shared_summary="Attendance since September and the two concerns recorded in October.",
        shared_at=timezone.now(),
        shared_via=Disclosure.SharedVia.SECURE_EMAIL,
        documents=[letter],
        author=person_of(world, Role.DEPUTY_DSL),
    )
    disclosure_record_child_informed(
        disclosure=disclosure,
        informed=True,
        informed_at=timezone.now(),
        informed_by="Ms Harlow, class teacher",
        author=dsl,
    )

    disclosure.refresh_from_db()
    assert disclosure.decision == "approved"
    assert (disclosure.decided_by_id, disclosure.decided_by_role) == (dsl.user_id, "dsl")
    assert list(disclosure.documents.all()) == [letter]
    assert disclosure.child_informed is True

    entries = entries_of(disclosure)
    assert [e.details["step"] for e in entries] == [
        "requested",
        "decided",
        "shared",
        "child_informed",
    ]
    assert {e.kind for e in entries} == {ChronologyEntry.Kind.DISCLOSURE}
    assert {e.pupil_id for e in entries} == {pupil.pk}
    assert entries[0].title == "Request for information from Northshire Children's Social Care"
    assert entries[0].author_role == "deputy_dsl"
    assert "UK GDPR Art. 6(1)(e)" in entries[1].body
    # Every document issued is on the record with the hash of the bytes handed over.
    assert entries[2].details["documents"] == [
        {"id": letter.pk, "original_name": "attendance.pdf", "sha256": letter.sha256}
    ]
    assert entries[3].title.startswith("Child told")


def test_the_headteacher_may_approve_too(world: World, in_a: None) -> None:
    disclosure = make_request(world, make_pupil(), make_agency(person_of(world, Role.DSL)))
    approve(world, disclosure, Role.HEADTEACHER)
    assert Disclosure.objects.get(pk=disclosure.pk).decided_by_role == "headteacher"


@pytest.mark.parametrize("role", [Role.DEPUTY_DSL, Role.KEY_HOLDER, Role.STAFF, Role.GOVERNOR])
def test_nobody_but_the_headteacher_or_dsl_may_decide(world: World, in_a: None, role: Role) -> None:
    disclosure = make_request(world, make_pupil(), make_agency(person_of(world, Role.DSL)))
    for approving in (True, False):
        with pytest.raises(PermissionDenied):
            disclosure_decide(
                disclosure=disclosure,
                approve=approving,
                approver=person_of(world, role),
                lawful_basis=[LawfulBasis.PUBLIC_TASK],
                notes="Not needed.",
            )
    assert Disclosure.objects.get(pk=disclosure.pk).decision == ""
    assert len(entries_of(disclosure)) == 1  # the request only


def test_an_approval_names_its_lawful_basis(world: World, in_a: None) -> None:
    disclosure = make_request(world, make_pupil(), make_agency(person_of(world, Role.DSL)))
    dsl = person_of(world, Role.DSL)
    with pytest.raises(ValidationError) as no_basis:
        disclosure_decide(disclosure=disclosure, approve=True, approver=dsl)
    assert "lawful_basis" in no_basis.value.message_dict
    with pytest.raises(ValidationError) as unnamed:
        disclosure_decide(
            disclosure=disclosure, approve=True, approver=dsl, lawful_basis=[LawfulBasis.OTHER]
        )
    assert "lawful_basis_other" in unnamed.value.message_dict

    disclosure_decide(
        disclosure=disclosure,
        approve=True,
        approver=dsl,
        lawful_basis=[LawfulBasis.OTHER],
        lawful_basis_other="Court order of 3 March",
    )
    assert Disclosure.objects.get(pk=disclosure.pk).lawful_basis_labels == [
        "Court order of 3 March"
    ]


def test_a_refusal_needs_its_reason_and_then_nothing_can_be_shared(
    world: World, in_a: None
) -> None:
    disclosure = make_request(world, make_pupil(), make_agency(person_of(world, Role.DSL)))
    dsl = person_of(world, Role.DSL)
    with pytest.raises(ValidationError) as no_reason:
        disclosure_decide(disclosure=disclosure, approve=False, approver=dsl)
    assert "notes" in no_reason.value.message_dict

    disclosure_decide(
        disclosure=disclosure, approve=False, approver=dsl, notes="Not proportionate."
    )
    with pytest.raises(ValidationError, match="approved"):
        disclosure_record_shared(
            disclosure=disclosure,
            shared_summary="Everything",
            shared_at=timezone.now(),
            shared_via=Disclosure.SharedVia.PHONE,
            author=dsl,
        )
    with pytest.raises(ValidationError, match="already been decided"):
        approve(world, disclosure)


def test_nothing_is_shared_before_approval(world: World, in_a: None) -> None:
    disclosure = make_request(world, make_pupil(), make_agency(person_of(world, Role.DSL)))
    with pytest.raises(ValidationError, match="approved"):
        disclosure_record_shared(
            disclosure=disclosure,
            shared_summary="Attendance",
            shared_at=timezone.now(),
            shared_via=Disclosure.SharedVia.PHONE,
            author=person_of(world, Role.DSL),
        )
    # The database holds the same line if a service ever forgot it.
    with pytest.raises(DatabaseError), transaction.atomic():
        Disclosure.objects.filter(pk=disclosure.pk).update(
            shared_at=timezone.now(), shared_summary="x", shared_by_id=1
        )


def test_only_documents_of_the_same_pupil_can_be_issued(
    world: World, in_a: None, documents_root: Path
) -> None:
    dsl = person_of(world, Role.DSL)
    other = document_upload(
        pupil=make_pupil(),
        uploaded_file=SimpleUploadedFile("other.pdf", PDF),
        overview="Another child's letter",
        author=dsl,
    )
    disclosure = approve(world, make_request(world, make_pupil(), make_agency(dsl)))
    with pytest.raises(ValidationError) as refused:
        disclosure_record_shared(
            disclosure=disclosure,
            shared_summary="Letters",
            shared_at=timezone.now(),
            shared_via=Disclosure.SharedVia.POST,
            documents=[other],
            author=dsl,
        )
    assert "documents" in refused.value.message_dict
    assert not Disclosure.objects.get(pk=disclosure.pk).documents.exists()


def test_child_not_told_needs_a_reason(world: World, in_a: None) -> None:
    dsl = person_of(world, Role.DSL)
    disclosure = approve(world, make_request(world, make_pupil(), make_agency(dsl)))
    with pytest.raises(ValidationError) as no_reason:
        disclosure_record_child_informed(disclosure=disclosure, informed=False, author=dsl)
    assert "reason_not_informed" in no_reason.value.message_dict
    with pytest.raises(ValidationError) as no_who:
        disclosure_record_child_informed(
            disclosure=disclosure, informed=True, informed_at=timezone.now(), author=dsl
        )
    assert "informed_by" in no_who.value.message_dict
    # The database refuses it as well.
    with pytest.raises(DatabaseError), transaction.atomic():
        Disclosure.objects.filter(pk=disclosure.pk).update(child_informed=False)

    disclosure_record_child_informed(
        disclosure=disclosure,
        informed=False,
        reason_not_informed="Police asked that he is not told while they investigate.",
        author=dsl,
    )
    [entry] = [e for e in entries_of(disclosure) if e.details["step"] == "child_informed"]
    assert entry.title.startswith("Child not told")
    assert "Police asked" in entry.body


def test_a_late_record_needs_its_reason_and_a_future_time_is_refused(
    world: World, in_a: None
) -> None:
    pupil, agency = make_pupil(), make_agency(person_of(world, Role.DSL))
    yesterday = timezone.now() - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as late:
        make_request(world, pupil, agency, request_received_at=yesterday)
    assert "backdate_reason" in late.value.message_dict
    with pytest.raises(ValidationError) as future:
        make_request(world, pupil, agency, request_received_at=timezone.now() + dt.timedelta(1))
    assert "request_received_at" in future.value.message_dict

    disclosure = make_request(
        world, pupil, agency, request_received_at=yesterday, backdate_reason="Phoned after school."
    )
    [entry] = entries_of(disclosure)
    assert (entry.occurred_at, entry.backdate_reason) == (yesterday, "Phoned after school.")


def test_a_recorded_request_can_never_be_rewritten(world: World, in_a: None) -> None:
    disclosure = make_request(world, make_pupil(), make_agency(person_of(world, Role.DSL)))
    with pytest.raises(DatabaseError), transaction.atomic():
        Disclosure.objects.filter(pk=disclosure.pk).update(request_summary="Something else")
    with pytest.raises(DatabaseError), transaction.atomic():
        Disclosure.objects.filter(pk=disclosure.pk).delete()


def test_a_retired_agency_cannot_be_chosen_for_a_new_request(world: World, in_a: None) -> None:
    dsl = person_of(world, Role.DSL)
    agency = agency_update(agency=make_agency(dsl), author=dsl, retired=True)
    with pytest.raises(ValidationError) as refused:
        make_request(world, make_pupil(), agency)
    assert "agency" in refused.value.message_dict


def test_agency_names_are_unique_whatever_the_capitals(world: World, in_a: None) -> None:
    dsl = person_of(world, Role.DSL)
    make_agency(dsl, "Northshire Police")
    with pytest.raises(ValidationError) as duplicate:
        make_agency(dsl, "NORTHSHIRE POLICE")
    assert "name" in duplicate.value.message_dict


# --- the pages ---------------------------------------------------------------------------------


def _local(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def test_the_dsl_takes_a_request_through_every_step_on_the_pages(
    world: World, school_a: School, documents_root: Path
) -> None:
    with schema_context(school_a.schema_name):
        dsl_person = person_of(world, Role.DSL)
        pupil = make_pupil()
        agency = make_agency(dsl_person)
        letter = document_upload(
            pupil=pupil,
            uploaded_file=SimpleUploadedFile("report.pdf", PDF),
            overview="Report for the conference",
            author=dsl_person,
        )
    client = school_client(school_a, world.person("a", Role.DSL))
    now = _local(timezone.now())

    response = client.post(
        f"/pupils/{pupil.pk}/disclosures/new/",
        {
            "agency": agency.pk,
            "requested_by": "DC Farrow",
            "request_summary": "Any disclosures about home.",
            "request_received_at": now,
        },
    )
    assert response.status_code == 302
    with schema_context(school_a.schema_name):
        disclosure = Disclosure.objects.get(pupil=pupil)
    base = f"/disclosures/{disclosure.pk}"
    assert response["Location"] == f"{base}/"

    decide = {"decision": "approve", "lawful_basis": [LawfulBasis.CRIME, LawfulBasis.SAFEGUARDING]}
    assert client.post(f"{base}/decide/", decide).status_code == 302
    shared = {
        "shared_at": now,
        "shared_via": "meeting",
        "shared_summary": "The report.",
        "documents": [letter.pk],
    }
    assert client.post(f"{base}/shared/", shared).status_code == 302
    no_reason = client.post(f"{base}/child-informed/", {"informed": "no"})
    assert no_reason.status_code == 200
    assert "Say why the child was not told" in no_reason.text
    told = {"informed": "yes", "informed_at": now, "informed_by": "Mr Penrose, DSL"}
    assert client.post(f"{base}/child-informed/", told).status_code == 302

    page = client.get(f"{base}/")
    assert "Told by Mr Penrose, DSL" in page.text
    assert letter.sha256 in page.text
    log = client.get(f"/pupils/{pupil.pk}/disclosures/")
    assert "Shared; child told" in log.text
    with schema_context(school_a.schema_name):
        assert len(entries_of(disclosure)) == 4
        # Opening the disclosure is opening the child's record: it is in the access log.
        assert AccessLogEntry.objects.filter(pupil_id=pupil.pk, object_type="pupil").exists()


def test_a_deputy_records_a_request_but_cannot_approve_it(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        disclosure = make_request(world, make_pupil(), make_agency(person_of(world, Role.DSL)))
    deputy = school_client(school_a, world.person("a", Role.DEPUTY_DSL))

    assert deputy.get(f"/disclosures/{disclosure.pk}/").status_code == 200
    url = f"/disclosures/{disclosure.pk}/decide/"
    assert deputy.get(url).status_code == 404
    response = deputy.post(url, {"decision": "approve", "lawful_basis": [LawfulBasis.CONSENT]})
    assert response.status_code == 404
    with schema_context(school_a.schema_name):
        assert Disclosure.objects.get(pk=disclosure.pk).decision == ""


@pytest.mark.parametrize(
    ("place", "role"),
    [("a", Role.STAFF), ("a", Role.KEY_HOLDER), ("a", Role.GOVERNOR), ("b", Role.DSL)],
)
def test_others_get_404_for_a_disclosure(
    world: World, school_a: School, place: str, role: Role
) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil()
        disclosure = make_request(world, pupil, make_agency(person_of(world, Role.DSL)))
    client = school_client(school_a, world.person(place, role))
    for url in (
        f"/disclosures/{disclosure.pk}/",
        f"/disclosures/{disclosure.pk}/decide/",
        f"/pupils/{pupil.pk}/disclosures/",
    ):
        assert client.get(url).status_code == 404, url


def test_school_bs_dsl_cannot_reach_school_as_disclosure_on_their_own_site(
    world: World, school_a: School, school_b: School
) -> None:
    with schema_context(school_a.schema_name):
        disclosure = make_request(world, make_pupil(), make_agency(person_of(world, Role.DSL)))
    client = school_client(school_b, world.person("b", Role.DSL))
    assert client.get(f"/disclosures/{disclosure.pk}/").status_code == 404


def test_the_dsl_keeps_the_agency_directory_and_a_deputy_only_reads_it(
    world: World, school_a: School
) -> None:
    dsl = school_client(school_a, world.person("a", Role.DSL))
    response = dsl.post(
        "/agencies/add/",
        {"name": "Eastfield Health Visiting", "kind": "health_visitor", "phone": "01632 960111"},
    )
    assert response.status_code == 302
    with schema_context(school_a.schema_name):
        agency = Agency.objects.get(name="Eastfield Health Visiting")
        assert agency.updated_by_id == world.person("a", Role.DSL).pk
    contact = {"name": "Jo Pryce", "role": "Health visitor", "email": "jo@example.org"}
    assert dsl.post(f"/agencies/{agency.pk}/contacts/add/", contact).status_code == 302
    duplicate = dsl.post("/agencies/add/", {"name": "EASTFIELD health visiting", "kind": "gp"})
    assert duplicate.status_code == 200
    assert "already has an agency with this name" in duplicate.text
    with schema_context(school_a.schema_name):
        assert Agency.objects.count() == 1
        assert AgencyContact.objects.get(agency=agency).name == "Jo Pryce"

    deputy = school_client(school_a, world.person("a", Role.DEPUTY_DSL))
    listing = deputy.get("/agencies/")
    assert "Jo Pryce" in listing.text
    assert "/agencies/add/" not in listing.text
    assert deputy.get("/agencies/add/").status_code == 404
    assert deputy.post(f"/agencies/{agency.pk}/edit/", {"name": "X", "kind": "gp"}).status_code == (
        404
    )


def test_an_issued_document_remains_listed_on_the_disclosure(
    world: World, in_a: None, documents_root: Path
) -> None:
    dsl = person_of(world, Role.DSL)
    pupil = make_pupil()
    letter = document_upload(
        pupil=pupil,
        uploaded_file=SimpleUploadedFile("letter.pdf", PDF),
        overview="Letter",
        author=dsl,
    )
    disclosure = approve(world, make_request(world, pupil, make_agency(dsl)))
    disclosure_record_shared(
        disclosure=disclosure,
        shared_summary="The letter",
        shared_at=timezone.now(),
        shared_via=Disclosure.SharedVia.SECURE_EMAIL,
        documents=[letter],
        author=dsl,
    )
    # The list of documents issued is append-only: none can be quietly taken off it.
    with pytest.raises(DatabaseError), transaction.atomic():
        Disclosure.documents.through.objects.filter(disclosure_id=disclosure.pk).delete()
    assert Document.objects.get(pk=letter.pk).disclosures.get() == disclosure
