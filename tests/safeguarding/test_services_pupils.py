from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import FamilyLink, Pupil
from safeguarding.services.pupils import (
    family_link_add,
    family_link_remove,
    pupil_create,
    pupil_update,
    upn_check_letter,
    upn_problem,
)
from tenants.models import School
from tests.safeguarding.fixtures import enrol, make_upn


def test_the_check_letter_follows_the_dfe_algorithm() -> None:
    # The example in the DfE's guidance and the model's help text is a valid UPN.
    assert upn_check_letter("123456789012") == "A"
    assert upn_problem("A123456789012") is None
    # A temporary UPN ends in a letter, which counts by its place in the alphabet.
    temporary = "99990012400" + "T"
    assert upn_problem(upn_check_letter(temporary) + temporary) is None


@pytest.mark.parametrize(
    ("upn", "problem"),
    [
        ("", "missing"),
        ("A12345", "is not a UPN"),
        ("1123456789012", "is not a UPN"),
        ("A12345678901I", "is not a UPN"),  # I, O and S are never used
        ("B123456789012", "wrong check letter"),
    ],
)
def test_a_bad_upn_is_explained(upn: str, problem: str) -> None:
    assert problem in (upn_problem(upn) or "")


def test_a_pupil_is_enrolled_with_the_upn_as_the_mis_stores_it(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = pupil_create(
            actor_id=1,
            upn=" a123 4567 89012 ",
            legal_first_name="Orla",
            legal_last_name="Brindlecombe",
            date_of_birth=dt.date(2014, 5, 6),
            sex=Pupil.Sex.FEMALE,
            year_group=6,
            sen=True,
        )
        stored = Pupil.objects.get(pk=pupil.pk)
    assert stored.upn == "A123456789012"
    assert stored.sen and not stored.ehcp
    assert stored.on_roll


def test_enrolment_explains_every_problem_by_field(school_a: School) -> None:
    with schema_context(school_a.schema_name), pytest.raises(ValidationError) as caught:
        pupil_create(
            actor_id=1,
            upn="B123456789012",
            legal_first_name="",
            legal_last_name="Brindlecombe",
            date_of_birth=timezone.localdate() + dt.timedelta(days=3),
            sex=Pupil.Sex.FEMALE,
            year_group=14,
            admission_date=dt.date(2020, 9, 1),
            leaving_date=dt.date(2019, 7, 20),
        )
    problems = caught.value.message_dict
    assert "wrong check letter" in problems["upn"][0]
    assert set(problems) >= {"legal_first_name", "year_group", "date_of_birth", "leaving_date"}
    assert problems["date_of_birth"] == ["The date of birth is in the future."]
    assert problems["leaving_date"] == ["The leaving date is before the admission date."]
    with schema_context(school_a.schema_name):
        assert not Pupil.objects.exists()


def test_two_pupils_cannot_share_a_upn(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        enrol(serial=1)
        with pytest.raises(ValidationError, match="already has this UPN"):
            enrol(serial=1, first="Other")
        assert Pupil.objects.count() == 1


def test_a_upn_may_be_reused_in_another_school(school_a: School, school_b: School) -> None:
    # Each school is its own schema: the same child may be on two schools' lists.
    with schema_context(school_a.schema_name):
        enrol(serial=1)
    with schema_context(school_b.schema_name):
        enrol(serial=1)
        assert Pupil.objects.count() == 1


def test_an_update_saves_only_what_changed(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(year_group=7)
        before = Pupil.objects.get(pk=pupil.pk).updated_at

        pupil_update(pupil=pupil, actor_id=1, year_group=7, form="7A")
        assert Pupil.objects.get(pk=pupil.pk).updated_at == before  # nothing changed

        pupil_update(pupil=pupil, actor_id=1, year_group=8, form="8C", eal=True)
        stored = Pupil.objects.get(pk=pupil.pk)
    assert (stored.year_group, stored.form, stored.eal) == (8, "8C", True)
    assert stored.updated_at > before


def test_a_refused_update_leaves_the_pupil_as_it_was(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol(year_group=7)
        other = enrol(year_group=7)
        with pytest.raises(ValidationError) as caught:
            pupil_update(pupil=pupil, actor_id=1, upn=other.upn, year_group=99)
        assert set(caught.value.message_dict) == {"year_group", "upn"}
        assert "already has this UPN" in caught.value.message_dict["upn"][0]
        assert pupil.year_group == 7 and pupil.upn != other.upn
        assert Pupil.objects.get(pk=pupil.pk).upn == pupil.upn


def test_a_leaver_is_marked_not_deleted(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = enrol()
        pupil_update(pupil=pupil, actor_id=1, leaving_date=dt.date(2025, 7, 18))
        stored = Pupil.objects.get(pk=pupil.pk)
    assert not stored.on_roll


def test_an_unknown_field_is_a_programming_error(school_a: School) -> None:
    with schema_context(school_a.schema_name), pytest.raises(TypeError):
        enrol(address="1 Example Row")


def test_a_family_link_is_stored_once_with_the_lower_id_first(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        older, younger = enrol(first="Ivo"), enrol(first="Juno")
        link = family_link_add(pupil=younger, relative=older, relationship="sibling")
        assert (link.pupil_id, link.relative_id) == (older.pk, younger.pk)

        # Added again the other way round: the same row, with the new relationship.
        again = family_link_add(pupil=older, relative=younger, relationship="half_sibling")
        assert again.pk == link.pk
        assert FamilyLink.objects.count() == 1
        assert FamilyLink.objects.get().relationship == "half_sibling"


def test_a_pupil_cannot_be_linked_to_themselves_or_by_an_unknown_relationship(
    school_a: School,
) -> None:
    with schema_context(school_a.schema_name):
        pupil, other = enrol(), enrol()
        with pytest.raises(ValidationError, match="themselves"):
            family_link_add(pupil=pupil, relative=pupil, relationship="sibling")
        with pytest.raises(ValidationError, match="relationship"):
            family_link_add(pupil=pupil, relative=other, relationship="best_friend")
        assert not FamilyLink.objects.exists()


def test_a_family_link_is_removed_whichever_way_round(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        first, second = enrol(), enrol()
        family_link_add(pupil=first, relative=second, relationship="cousin")
        family_link_remove(pupil=second, relative=first)
        assert not FamilyLink.objects.exists()
        with pytest.raises(ValidationError, match="not linked"):
            family_link_remove(pupil=first, relative=second)


def test_make_upn_gives_valid_upns() -> None:
    assert all(upn_problem(make_upn(serial)) is None for serial in (1, 24001, 90001, 99999))
