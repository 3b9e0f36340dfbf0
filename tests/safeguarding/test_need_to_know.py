"""Need to know inside a school: a key holder sees a record only when it is wholly inside their
grant; the school administrator handles a pupil's identity, not their safeguarding flags
(docs/security.md, "Need to know")."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from safeguarding.models import Pupil
from safeguarding.services.access import key_holder_access_set
from safeguarding.services.concerns import concern_record
from safeguarding.services.pupil_import import pupil_import_apply, pupil_import_preview
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from tests.safeguarding.fixtures import enrol, flag_set, make_upn, with_two_factor
from trustplatform.accounts.models import Role


def _grant(world: World, school: School, codes: tuple[str, ...], years: list[int]) -> None:
    key_holder_access_set(
        school=school,
        key_holder=world.person("a", Role.KEY_HOLDER),
        category_ids=category_ids(*codes),
        year_groups=years,
        actor=world.person("a", Role.DSL),
    )


def test_a_concern_with_a_category_outside_the_grant_is_not_shown_at_all(
    world: World, school_a: School
) -> None:
    staff = person(world.person("a", Role.STAFF), Role.STAFF)
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Perpetua", "Alderwick", year_group=5)
        mixed = concern_record(
            school=school_a,
            author=staff,
            pupil_ids=[pupil.pk],
            category_ids=category_ids("online-safety", "sexual-abuse"),
            account="Partly restricted account.",
        )
        inside = concern_record(
            school=school_a,
            author=staff,
            pupil_ids=[pupil.pk],
            category_ids=category_ids("online-safety"),
            account="Wholly granted account.",
        )
        _grant(world, school_a, ("online-safety", "bullying"), [5, 6])
    client = school_client(school_a, world.person("a", Role.KEY_HOLDER))

    assert client.get(f"/concerns/{mixed.pk}/").status_code == 404
    assert client.get(f"/concerns/{inside.pk}/").status_code == 200
    chronology = client.get(f"/pupils/{pupil.pk}/chronology/").text
    assert "Wholly granted account." in chronology
    assert "Partly restricted account." not in chronology
    assert not re.search(r"Concern recorded:[^<]*Sexual abuse", chronology)
    assert f"C{mixed.pk}<" not in client.get("/concerns/").text


def test_a_concern_naming_a_pupil_outside_the_granted_years_is_not_shown(
    world: World, school_a: School
) -> None:
    staff = person(world.person("a", Role.STAFF), Role.STAFF)
    with schema_context(school_a.schema_name):
        year5 = make_pupil("Perpetua", "Alderwick", year_group=5)
        year4 = make_pupil("Leopold", "Sandiford", year_group=4)
        both = concern_record(
            school=school_a,
            author=staff,
            pupil_ids=[year5.pk, year4.pk],
            category_ids=category_ids("bullying"),
            account="Both of them at the gate.",
        )
        _grant(world, school_a, ("bullying",), [5, 6])
    client = school_client(school_a, world.person("a", Role.KEY_HOLDER))

    assert client.get(f"/concerns/{both.pk}/").status_code == 404
    assert "Leopold" not in client.get("/concerns/").text
    assert "Both of them at the gate." not in client.get(f"/pupils/{year5.pk}/chronology/").text


@pytest.mark.parametrize(
    ("codes", "years", "message"),
    [((), [5], "category"), (("bullying",), [], "year group")],
)
def test_a_grant_with_no_category_or_no_year_group_is_refused(
    world: World, school_a: School, codes: tuple[str, ...], years: list[int], message: str
) -> None:
    with schema_context(school_a.schema_name), pytest.raises(ValidationError, match=message):
        _grant(world, school_a, codes, years)


FLAGGED = ("child_protection_plan", "child_in_need_plan", "looked_after")


def _admin(world: World):  # type: ignore[no-untyped-def]
    return with_two_factor(world.person("a", Role.SCHOOL_ADMIN))


def test_the_pupil_form_neither_shows_nor_changes_safeguarding_flags(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil = flag_set(enrol(serial=71, sen=True), *FLAGGED)
    client = school_client(school_a, _admin(world))
    page = client.get(f"/pupils/{pupil.pk}/edit/").text
    assert "SEN support" in page
    for label in ("Child protection plan", "Child in need", "Looked after"):
        assert label.lower() not in page.lower()

    form = {
        "upn": pupil.upn,
        "legal_first_name": "Wren",
        "legal_last_name": "Ashdown",
        "date_of_birth": pupil.date_of_birth.isoformat(),
        "sex": pupil.sex,
        "year_group": "7",
        "form": "7Z",
        "flags": ["sen"],
    }
    saved = client.post(f"/pupils/{pupil.pk}/edit/", form)
    assert saved.status_code == 302, re.findall(r"field-error[^<]*", saved.text)
    # A flag not on the form, sent anyway, is refused, not written.
    forged = client.post(f"/pupils/{pupil.pk}/edit/", form | {"flags": ["looked_after"]})
    assert forged.status_code == 200
    with schema_context(school_a.schema_name):
        pupil.refresh_from_db()
    # Identity fields saved; the flags are left as the DSL set them.
    assert pupil.form == "7Z"
    assert (pupil.child_protection_plan, pupil.child_in_need_plan, pupil.looked_after) == (
        True,
        True,
        True,
    )
    # Not even the DSL sets them on this form: they are set on the child's page, dated.
    dsl_page = school_client(school_a, world.person("a", Role.DSL)).get(f"/pupils/{pupil.pk}/edit/")
    assert "child protection plan" not in dsl_page.text.lower()


def test_no_import_writes_the_safeguarding_flags(world: World, school_a: School) -> None:
    csv = (
        "UPN,Legal Surname,Legal Forename,Date of Birth,Sex,Year Group,CP Plan,CIN,Looked After\n"
        f"{make_upn(72)},Marlowe,Pip,01/02/2013,M,7,Y,Y,Y\n"
    ).encode()
    client = school_client(school_a, _admin(world))
    preview = client.post(
        "/pupils/import/", {"file": SimpleUploadedFile("p.csv", csv, content_type="text/csv")}
    )
    assert "CP Plan" in preview.text  # listed among the columns not imported
    token = preview.text.split('name="token" value="')[1].split('"')[0]
    client.post("/pupils/import/confirm/", {"token": token})
    with schema_context(school_a.schema_name):
        pupil = Pupil.objects.get(upn=make_upn(72))
        assert not (pupil.child_protection_plan or pupil.child_in_need_plan or pupil.looked_after)
        # The DSL's own import of the same file does not set them either: each change of a
        # flag is a dated chronology entry, made on the child's page.
        pupil_import_apply(pupil_import_preview(csv), actor_id=world.person("a", Role.DSL).pk)
        pupil.refresh_from_db()
        assert not (pupil.child_protection_plan or pupil.child_in_need_plan or pupil.looked_after)
