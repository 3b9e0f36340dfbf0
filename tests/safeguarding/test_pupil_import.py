from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from safeguarding.models import Pupil, YearGroup
from safeguarding.services.pupil_import import (
    MAX_BYTES,
    MAX_ROWS,
    ImportPreview,
    RowAction,
    pupil_import_apply,
    pupil_import_preview,
)
from tenants.models import School
from tests.safeguarding.fixtures import SIMS_UPNS, enrol, fixture_bytes, make_upn

HEADER = "UPN,Legal Surname,Legal Forename,Date of Birth,Sex,Year Group,Form,Leaving Date"


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _row(
    serial: int, last: str = "Marlowe", *, year: str = "7", form: str = "7M", left: str = ""
) -> str:
    return f"{make_upn(serial)},{last},Pip,01/02/2013,M,{year},{form},{left}"


# --- reading a real-looking export --------------------------------------------------------------


def test_a_sims_export_is_previewed_row_by_row_and_nothing_is_written(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        preview = pupil_import_preview(fixture_bytes("pupils_sims.csv"))
        assert not Pupil.objects.exists()

    assert [row.upn for row in preview.rows] == list(SIMS_UPNS)
    assert [row.number for row in preview.rows] == [2, 3, 4, 5, 6]
    assert (preview.creates, preview.updates, preview.errors) == (5, 0, 0)
    assert preview.leavers == 1
    # The safeguarding flags are set on the child's page, never imported.
    assert preview.ignored_columns == ("CLA", "CP Plan", "CIN Plan", "Address 1")
    assert preview.rows[1].name == "Bram Ottersley"  # the preferred forename


def test_a_sims_export_with_a_byte_order_mark_is_imported_with_every_value(
    school_a: School,
) -> None:
    data = fixture_bytes("pupils_sims.csv")
    assert data.startswith(b"\xef\xbb\xbf")  # as Excel writes "CSV UTF-8"
    with schema_context(school_a.schema_name):
        result = pupil_import_apply(data, actor_id=1)
        pupils = {p.upn: p for p in Pupil.objects.all()}

    assert (result.created, result.updated, result.unchanged, result.leavers) == (5, 0, 0, 1)
    ada = pupils["Y999900124001"]
    assert (ada.legal_first_name, ada.legal_last_name) == ("Ada", "Quillfeather")
    assert ada.date_of_birth == dt.date(2016, 3, 14)
    assert (ada.year_group, ada.form, ada.sex) == (3, "3Q", "F")
    assert ada.admission_date == dt.date(2020, 9, 1)
    assert ada.eal and ada.pupil_premium and not ada.sen
    assert pupils["M999900124002"].preferred_first_name == "Bram"
    assert pupils["M999900124002"].admission_date == dt.date(2019, 9, 4)
    assert pupils["B999900124003"].year_group == YearGroup.NURSERY
    dov = pupils["Q999900124004"]
    assert dov.year_group == YearGroup.RECEPTION
    assert dov.pupil_premium
    # CLA and CP Plan columns are not imported: the DSL sets those flags, dated, on the page.
    assert not (dov.looked_after or dov.child_protection_plan)
    assert not dov.young_carer
    esme = pupils["E999900124005"]
    assert esme.leaving_date == dt.date(2024, 7, 20) and not esme.on_roll
    assert esme.young_carer


def test_other_header_spellings_are_accepted_without_regard_to_case(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil_import_apply(fixture_bytes("pupils_arbor.csv"), actor_id=1)
        fen = Pupil.objects.get(upn="U999900124006")
        gid = Pupil.objects.get(upn="H999900124007")
    assert (fen.year_group, fen.form, fen.sex) == (10, "10W", "F")
    assert fen.sen and fen.ehcp and fen.young_carer
    assert not (fen.looked_after or fen.child_in_need_plan)
    assert (gid.year_group, gid.preferred_first_name) == (YearGroup.RECEPTION, "Gid")
    assert gid.date_of_birth == dt.date(2020, 2, 29)


@pytest.mark.parametrize(
    ("cell", "year_group"),
    [
        ("N", -1),
        ("Nursery", -1),
        ("R", 0),
        ("reception", 0),
        ("1", 1),
        ("Year 7", 7),
        ("Y7", 7),
        ("07", 7),
        ("13", 13),
    ],
)
def test_year_groups_are_read_as_mis_exports_write_them(
    school_a: School, cell: str, year_group: int
) -> None:
    with schema_context(school_a.schema_name):
        preview = pupil_import_preview(_csv(_row(1, year=cell)))
    assert preview.rows[0].values["year_group"] == year_group


# --- problems of single rows --------------------------------------------------------------------


def test_the_preview_lists_each_rows_problems_and_writes_nothing(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        preview = pupil_import_preview(fixture_bytes("pupils_broken.csv"))
        assert not Pupil.objects.exists()

    problems = {row.number: " ".join(row.errors) for row in preview.rows}
    assert preview.rows[0].action is RowAction.CREATE
    assert (preview.creates, preview.errors) == (1, 10)
    assert "The UPN is missing." in problems[3]
    assert "“A12345” is not a UPN" in problems[4]
    assert "wrong check letter" in problems[5]
    assert "Date of Birth: “31/02/2016” is not a date" in problems[6]
    assert "Year Group: “Year 14” is not a year group" in problems[7]
    assert "also on row 9" in problems[8] and "also on row 8" in problems[9]
    assert "SEN: “maybe” is not a yes or no" in problems[10]
    assert "Sex: “X” is not M or F." in problems[11]
    assert "Legal Surname: blank." in problems[12]
    # Each problem is said once, not again by the model's own checks.
    assert problems[6].count("Date of Birth") == 1


def test_a_file_with_broken_rows_is_refused_and_nothing_is_half_written(
    school_a: School,
) -> None:
    with schema_context(school_a.schema_name):
        with pytest.raises(ValidationError) as caught:
            pupil_import_apply(fixture_bytes("pupils_broken.csv"), actor_id=1)
        # Row 2 is fine, and still not written: all rows or none.
        assert not Pupil.objects.exists()
    message = caught.value.messages[0]
    assert message.startswith("Nothing was imported: 10 rows have problems (row 3, 4, 5")


def test_a_preview_with_problems_cannot_be_applied_or_confirmed(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        preview = pupil_import_preview(fixture_bytes("pupils_broken.csv"))
        with pytest.raises(ValidationError, match="Nothing was imported"):
            pupil_import_apply(preview, actor_id=1)
        assert not Pupil.objects.exists()
    with pytest.raises(ValueError, match="cannot be confirmed"):
        preview.to_payload()


def test_a_new_pupil_needs_the_columns_an_update_can_do_without(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        known = enrol(serial=1, year_group=7, sen=True)
        preview = pupil_import_preview(
            _csv(f"{known.upn},8B", f"{make_upn(2)},8C", header="UPN,Form")
        )
        update, create = preview.rows
        assert update.action is RowAction.UPDATE and update.changes == ("Form",)
        assert create.action is RowAction.ERROR
        assert any("needs a date of birth" in e for e in create.errors)

        # Only the changed row in the file: columns it does not have are left alone.
        pupil_import_apply(_csv(f"{known.upn},8B", header="UPN,Form"), actor_id=1)
        stored = Pupil.objects.get(pk=known.pk)
    assert stored.form == "8B" and stored.sen and stored.year_group == 7


# --- idempotence and leavers --------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing_the_second_time(school_a: School) -> None:
    data = fixture_bytes("pupils_sims.csv")
    with schema_context(school_a.schema_name):
        pupil_import_apply(data, actor_id=1)
        stamps = dict(Pupil.objects.values_list("upn", "updated_at"))

        preview = pupil_import_preview(data)
        assert {row.action for row in preview.rows} == {RowAction.UNCHANGED}
        assert not preview.changes_anything
        again = pupil_import_apply(data, actor_id=1)

        assert dict(Pupil.objects.values_list("upn", "updated_at")) == stamps
        assert Pupil.objects.count() == 5
    assert (again.created, again.updated, again.unchanged, again.leavers) == (0, 0, 5, 0)


def test_only_changed_pupils_are_updated(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil_import_apply(_csv(_row(1), _row(2), _row(3)), actor_id=1)
        result = pupil_import_apply(
            _csv(_row(1), _row(2, year="8", form="8M"), _row(3)), actor_id=1
        )
        moved = Pupil.objects.get(upn=make_upn(2))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert (moved.year_group, moved.form) == (8, "8M")


def test_a_leaving_date_marks_a_leaver_and_no_pupil_is_ever_deleted(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil_import_apply(_csv(_row(1), _row(2), _row(3)), actor_id=1)
        # Next term's export: pupil 2 has left, pupil 3 is no longer in the file at all.
        preview = pupil_import_preview(_csv(_row(1), _row(2, left="18/07/2025")))
        assert preview.leavers == 1 and preview.rows[1].marks_leaver
        result = pupil_import_apply(preview, actor_id=1)

        pupils = {p.upn: p for p in Pupil.objects.all()}
    assert result.leavers == 1
    assert len(pupils) == 3
    assert pupils[make_upn(2)].leaving_date == dt.date(2025, 7, 18)
    assert pupils[make_upn(1)].on_roll and pupils[make_upn(3)].on_roll


# --- the confirmation payload -------------------------------------------------------------------


def test_a_preview_survives_its_payload_and_is_checked_again_when_applied(
    school_a: School,
) -> None:
    with schema_context(school_a.schema_name):
        preview = pupil_import_preview(_csv(_row(1), _row(2, left="2025-07-18")))
        payload = preview.to_payload()
        # Meanwhile pupil 1 is enrolled by hand: confirming updates them instead of failing.
        enrol(serial=1, last="Marlowe", first="Pip", year_group=6)

        again = ImportPreview.from_payload(payload)
        assert [row.action for row in again.rows] == [RowAction.UPDATE, RowAction.CREATE]
        result = pupil_import_apply(again, actor_id=1)
        assert Pupil.objects.get(upn=make_upn(1)).year_group == 7
        assert Pupil.objects.get(upn=make_upn(2)).leaving_date == dt.date(2025, 7, 18)
    assert (result.created, result.updated, result.leavers) == (1, 1, 1)


def test_a_payload_naming_an_unknown_field_is_refused(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        payload = pupil_import_preview(_csv(_row(1))).to_payload()
        payload["rows"][0][2]["is_superuser"] = True
        with pytest.raises(ValidationError, match="could not be read"):
            ImportPreview.from_payload(payload)


# --- files that cannot be used at all -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"  \r\n\r\n", "The file is empty."),
        (b"\xef\xbb\xbf", "The file is empty."),
        (HEADER.encode() + b"\n\n", "headings but no pupils"),
        ("UPN,Legal Surname\nY999900124001,Zoë\n".encode("cp1252"), "not UTF-8"),
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, "Excel workbook"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
        (b"UPN,Name\x00\x00\nA,B\n", "does not look like a CSV"),
        (b"Surname,Forename\nMarlowe,Pip\n", "no UPN column"),
        (b"UPN;Surname;Forename\nA;B;C\n", "no UPN column"),
        (b"UPN,Surname,Legal Surname\n", "both give the legal last name"),
        (b'UPN,Surname\n"Y999900124001,Marlowe\n', "could not be read as CSV"),
    ],
)
def test_an_unusable_file_is_refused_with_a_clear_message(
    school_a: School, data: bytes, message: str
) -> None:
    with schema_context(school_a.schema_name), pytest.raises(ValidationError) as caught:
        pupil_import_preview(data)
    assert message in caught.value.messages[0]


def test_a_file_over_the_size_limit_is_refused(school_a: School) -> None:
    data = _csv(_row(1)) + b" " * MAX_BYTES
    with schema_context(school_a.schema_name), pytest.raises(ValidationError, match="5 MB"):
        pupil_import_preview(data)


def test_a_file_over_the_row_limit_is_refused(school_a: School) -> None:
    data = _csv(*(_row(n) for n in range(1, MAX_ROWS + 2)))
    with schema_context(school_a.schema_name), pytest.raises(ValidationError, match="5,000"):
        pupil_import_preview(data)


def test_a_full_size_file_is_previewed_with_one_select(
    school_a: School, django_assert_max_num_queries: Any
) -> None:
    data = _csv(*(_row(n) for n in range(1, MAX_ROWS + 1)))
    # One SELECT for the whole file; the other query is django-tenants' SET search_path.
    with schema_context(school_a.schema_name), django_assert_max_num_queries(2):
        preview = pupil_import_preview(data)
    assert preview.creates == MAX_ROWS
