"""The MIS sync: matching on UPN or MIS id, the history of MIS-owned fields, the run record and
its report pages, leavers kept, and a 5,000-row sync that is idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from billing.services import pupils_on_roll_today
from safeguarding.models import ChronologyEntry, Pupil, PupilHistory, PupilSyncRun
from safeguarding.services.pupil_import import (
    SyncOutcome,
    pupil_import_apply,
    pupil_import_preview,
    pupil_sync,
)
from safeguarding.services.pupils import upn_check_letter
from tenants.models import School
from tests.api.helpers import key_client, make_key
from tests.conftest import World, school_client
from tests.safeguarding.fixtures import enrol, make_upn, with_two_factor
from trustplatform.accounts.models import Role

# Serials of this module's invented pupils (make_upn) and a block of its own for the 5,000.
FIRST, SECOND, THIRD, FOURTH = (make_upn(serial) for serial in range(82100, 82104))


def _bulk_upn(serial: int) -> str:
    rest = f"88870{serial:07d}"
    return upn_check_letter(rest) + rest


def _row(upn: str, **fields: object) -> dict[str, object]:
    return {
        "upn": upn,
        "legal_first_name": "Invented",
        "legal_last_name": "Pupil",
        "date_of_birth": "2013-03-04",
        "sex": "M",
        "year_group": 7,
        "form": "7A",
    } | fields


def _sync(school: School, rows: list[dict[str, Any]]) -> Any:
    with schema_context(school.schema_name):
        return pupil_sync(rows, actor_id=1, actor_name="Office Manager")


def _outcomes(result: Any) -> list[str]:
    return [str(row.outcome) for row in result.rows]


# --- idempotence and rejected rows --------------------------------------------------------------


def test_a_5000_row_sync_sent_twice_reports_every_row_unchanged_the_second_time(
    school_a: School,
) -> None:
    rows = [
        _row(
            _bulk_upn(n),
            mis_id=f"M{n}",
            legal_first_name=f"Name{n}",
            year_group=1 + n % 11,
            sen=n % 7 == 0,
            free_school_meals=n % 4 == 0,
        )
        for n in range(5000)
    ]
    first = _sync(school_a, rows)
    assert first.count(SyncOutcome.CREATED) == 5000
    again = _sync(school_a, rows)
    assert again.count(SyncOutcome.UNCHANGED) == 5000
    assert again.count(SyncOutcome.CREATED) + again.count(SyncOutcome.UPDATED) == 0
    with schema_context(school_a.schema_name):
        assert Pupil.objects.count() == 5000
        assert not PupilHistory.objects.exists()
        runs = list(PupilSyncRun.objects.order_by("pk").values_list("created", "unchanged"))
    assert runs == [(5000, 0), (0, 5000)]


def test_bad_rows_are_rejected_with_reasons_while_good_rows_land(school_a: School) -> None:
    result = _sync(
        school_a,
        [
            _row(FIRST, legal_first_name="Ottoline"),
            _row(SECOND, legal_first_name="Perpetua", sex="Perpetua"),
            _row("not a upn", legal_first_name="Quenby"),
            _row(THIRD, legal_first_name="Rosamund", date_of_birth="04/03/2014"),
        ],
    )
    assert _outcomes(result) == ["created", "rejected", "rejected", "created"]
    assert all(result.rows[n].reasons for n in (1, 2))
    with schema_context(school_a.schema_name):
        assert set(Pupil.objects.values_list("upn", flat=True)) == {FIRST, THIRD}
        run = PupilSyncRun.objects.get(pk=result.run_id)
    assert (run.created, run.rejected, run.rows) == (2, 2, 4)
    # The report keeps the row and why, never the child's details.
    assert [number for number, _ in run.rejections] == [1, 2]
    assert "not M or F" in " ".join(run.rejections[0][1])
    assert "Perpetua" not in str(run.rejections)
    kept = str(run.rejections).lower()
    assert "“not a upn”" not in kept and "notaupn" not in kept and "“…”" in kept


# --- keyed on MIS id as well as UPN --------------------------------------------------------------


def test_a_row_whose_upn_changed_but_whose_mis_id_matches_updates_that_pupil(
    school_a: School,
) -> None:
    _sync(school_a, [_row(FIRST, mis_id="ARB-1")])
    result = _sync(school_a, [_row(SECOND, mis_id="ARB-1")])
    assert _outcomes(result) == ["updated"]
    with schema_context(school_a.schema_name):
        pupil = Pupil.objects.get()
        assert (pupil.upn, pupil.mis_id) == (SECOND, "ARB-1")
        assert list(PupilHistory.objects.values_list("field", "old", "new")) == [
            ("upn", FIRST, SECOND)
        ]


def test_a_row_whose_upn_and_mis_id_belong_to_two_pupils_is_rejected(school_a: School) -> None:
    _sync(school_a, [_row(FIRST, mis_id="ARB-1"), _row(SECOND, mis_id="ARB-2")])
    result = _sync(school_a, [_row(FIRST, mis_id="ARB-2", form="7B")])
    assert _outcomes(result) == ["rejected"]
    assert "the MIS id to another" in result.rows[0].reasons[0]
    with schema_context(school_a.schema_name):
        assert set(Pupil.objects.values_list("upn", "mis_id", "form")) == {
            (FIRST, "ARB-1", "7A"),
            (SECOND, "ARB-2", "7A"),
        }


def test_a_pupil_without_an_mis_id_takes_the_one_the_sync_gives_but_never_a_second(
    school_a: School,
) -> None:
    with schema_context(school_a.schema_name):
        enrol(upn=FIRST, first="Invented", last="Pupil", date_of_birth=dt.date(2013, 3, 4))
    assert _outcomes(_sync(school_a, [_row(FIRST, mis_id="SIMS-9")])) == ["updated"]
    refused = _sync(school_a, [_row(FIRST, mis_id="SIMS-10")])
    assert _outcomes(refused) == ["rejected"]
    assert "different MIS id" in refused.rows[0].reasons[0]
    # A blank MIS id is "not given": it never clears the one the pupil has.
    assert _outcomes(_sync(school_a, [_row(FIRST, mis_id="")])) == ["unchanged"]
    with schema_context(school_a.schema_name):
        assert Pupil.objects.get().mis_id == "SIMS-9"


def test_the_report_keeps_no_upn_of_a_rejected_row(school_a: School) -> None:
    result = _sync(school_a, [_row(FIRST), _row(FIRST)])
    assert FIRST in result.rows[0].reasons[0]
    with schema_context(school_a.schema_name):
        run = PupilSyncRun.objects.get(pk=result.run_id)
    assert run.rejected == 2
    assert FIRST not in str(run.rejections)


def test_two_rows_about_the_same_pupil_are_both_rejected(school_a: School) -> None:
    _sync(school_a, [_row(FIRST, mis_id="ARB-1")])
    result = _sync(school_a, [_row(SECOND, mis_id="ARB-1"), _row(FIRST, form="7C")])
    assert _outcomes(result) == ["rejected", "rejected"]
    result = _sync(school_a, [_row(THIRD, mis_id="ARB-3"), _row(FOURTH, mis_id="ARB-3")])
    assert _outcomes(result) == ["rejected", "rejected"]
    assert "MIS id is also on row" in result.rows[0].reasons[-1]


def test_the_csv_import_matches_on_the_mis_id_column_too(school_a: School) -> None:
    _sync(school_a, [_row(FIRST, mis_id="BROM-77")])
    data = f"UPN,Student ID,Year Group\r\n{SECOND},BROM-77,8\r\n".encode()
    with schema_context(school_a.schema_name):
        preview = pupil_import_preview(data)
        assert [row.action for row in preview.rows] == ["update"]
        result = pupil_import_apply(preview, actor_id=1, actor_name="Office Manager")
        pupil = Pupil.objects.get()
        run = PupilSyncRun.objects.get(pk=result.run_id)
    assert (pupil.upn, pupil.year_group) == (SECOND, 8)
    assert (run.source, run.updated, run.actor_name) == ("csv", 1, "Office Manager")


# --- history, not chronology; leavers kept -----------------------------------------------------


def test_changes_of_mis_owned_fields_become_history_and_never_chronology_entries(
    school_a: School,
) -> None:
    _sync(school_a, [_row(FIRST, sen=False, free_school_meals=False)])
    with schema_context(school_a.schema_name):
        entries = ChronologyEntry.objects.count()
    result = _sync(
        school_a,
        [
            _row(
                FIRST,
                sen=True,
                free_school_meals=True,
                pupil_premium=True,
                year_group=8,
                leaving_date="2026-07-22",
            )
        ],
    )
    with schema_context(school_a.schema_name):
        history = set(
            PupilHistory.objects.filter(sync_run_id=result.run_id).values_list(
                "field", "old", "new"
            )
        )
        assert ChronologyEntry.objects.count() == entries
    assert history == {
        ("sen", "no", "yes"),
        ("free_school_meals", "no", "yes"),
        ("pupil_premium", "no", "yes"),
        ("year_group", "7", "8"),
        ("leaving_date", "", "2026-07-22"),
    }


def test_a_changed_detail_typed_in_by_hand_is_history_too(school_a: School) -> None:
    from safeguarding.services.pupils import pupil_update  # noqa: PLC0415

    with schema_context(school_a.schema_name):
        pupil = enrol(upn=FIRST, first="Invented", last="Pupil")
        pupil_update(pupil=pupil, actor_id=7, sen=True, legal_first_name="Renamed")
        assert list(
            PupilHistory.objects.values_list("field", "new", "changed_by_id", "sync_run")
        ) == [("sen", "yes", 7, None)]


def test_leavers_are_marked_and_a_pupil_missing_from_a_full_sync_is_kept(
    world: World, school_a: School
) -> None:
    _sync(school_a, [_row(FIRST), _row(SECOND), _row(THIRD)])
    result = _sync(school_a, [_row(FIRST, leaving_date="2025-07-18"), _row(SECOND)])
    assert result.leavers == 1
    with schema_context(school_a.schema_name):
        assert Pupil.objects.count() == 3
        assert Pupil.objects.get(upn=THIRD).leaving_date is None
    # Billing's band counts pupils on roll: the leaver no longer, the missing pupil still.
    assert pupils_on_roll_today(world.school_a) == 2


def test_a_sync_never_writes_the_safeguarding_flags(school_a: School) -> None:
    result = _sync(school_a, [_row(FIRST, child_protection_plan=True, looked_after=True)])
    assert _outcomes(result) == ["rejected"]
    assert "Unknown fields" in result.rows[0].reasons[-1]
    with pytest.raises(ValidationError), schema_context(school_a.schema_name):
        pupil_import_apply(f"UPN,Looked After,Year Group\r\n{FIRST},Y,7\r\n".encode(), actor_id=1)


# --- the API records its key, the report pages --------------------------------------------------


def test_an_api_sync_is_recorded_with_its_key_and_shown_on_the_report(
    world: World, school_a: School
) -> None:
    made = make_key(world, "write_pupils", role=Role.SCHOOL_ADMIN)
    response = key_client(school_a, made.token).post(
        "/api/v1/pupils/sync/",
        {"pupils": [_row(FIRST, mis_id="A-1"), _row(SECOND, sex="Q")]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    run_id = response.json()["run_id"]
    with schema_context(school_a.schema_name):
        run = PupilSyncRun.objects.get(pk=run_id)
        assert run.api_key_id == made.key.pk
    assert (run.source, run.created, run.rejected) == ("api", 1, 1)

    admin = school_client(school_a, with_two_factor(world.person("a", Role.SCHOOL_ADMIN)))
    listing = admin.get("/pupils/sync/")
    assert listing.status_code == 200
    assert f"/pupils/sync/{run_id}/" in listing.text
    detail = admin.get(f"/pupils/sync/{run_id}/")
    assert detail.status_code == 200
    assert "not M or F" in detail.text
    assert "/pupils/sync/" in admin.get("/pupils/manage/").text
    dsl = school_client(school_a, world.person("a", Role.DSL))
    assert dsl.get(f"/pupils/sync/{run_id}/").status_code == 200
    assert "/pupils/sync/" in dsl.get("/pupils/").text


def _a_run(school: School) -> int:
    return int(_sync(school, [_row(FIRST)]).run_id)


@pytest.mark.parametrize("role", [Role.STAFF, Role.DEPUTY_DSL, Role.HEADTEACHER, Role.GOVERNOR])
def test_weaker_roles_cannot_open_the_sync_report(
    world: World, school_a: School, role: Role
) -> None:
    run_id = _a_run(school_a)
    client = school_client(school_a, world.person("a", role))
    for path in ("/pupils/sync/", f"/pupils/sync/{run_id}/"):
        assert client.get(path).status_code == 404, path


def test_another_schools_dsl_and_administrator_get_a_404_on_the_sync_report(
    world: World, school_a: School
) -> None:
    run_id = _a_run(school_a)
    for place in ("b", "c"):
        for client in (
            school_client(school_a, world.person(place, Role.DSL)),
            school_client(school_a, with_two_factor(world.person(place, Role.SCHOOL_ADMIN))),
        ):
            for path in ("/pupils/sync/", f"/pupils/sync/{run_id}/"):
                assert client.get(path).status_code == 404, (place, path)


def test_anonymous_visitors_are_sent_to_sign_in_from_the_sync_report(school_a: School) -> None:
    run_id = _a_run(school_a)
    client = school_client(school_a)
    for path in ("/pupils/sync/", f"/pupils/sync/{run_id}/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login/" in response["Location"], path


def test_a_run_of_another_id_is_a_404(world: World, school_a: School) -> None:
    dsl = school_client(school_a, world.person("a", Role.DSL))
    assert dsl.get("/pupils/sync/999999/").status_code == 404


def test_the_pupils_page_shows_its_history_to_those_who_read_the_pupil(
    world: World, school_a: School
) -> None:
    _sync(school_a, [_row(FIRST, sen=False)])
    _sync(school_a, [_row(FIRST, sen=True, year_group=8)])
    with schema_context(school_a.schema_name):
        pupil_id = Pupil.objects.get(upn=FIRST).pk
    for role in (Role.DSL, Role.DEPUTY_DSL, Role.HEADTEACHER):
        page = school_client(school_a, world.person("a", role)).get(f"/pupils/{pupil_id}/")
        assert page.status_code == 200
        assert 'id="mis-history"' in page.text
        assert "SEN support" in page.text
        assert "Year 8" in page.text
    staff = school_client(school_a, world.person("a", Role.STAFF))
    assert staff.get(f"/pupils/{pupil_id}/").status_code == 404


def test_a_sync_stops_rather_than_undo_a_change_saved_while_it_ran(
    school_a: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.utils import timezone  # noqa: PLC0415

    from safeguarding.services import pupil_import  # noqa: PLC0415

    _sync(school_a, [_row(FIRST)])
    read = pupil_import._match

    def read_then_someone_saves(parsed: Any) -> Any:
        # A person saves the pupil's form between the sync's read and its write.
        matches = read(parsed)
        Pupil.objects.filter(upn=FIRST).update(form="7Z", updated_at=timezone.now())
        return matches

    monkeypatch.setattr(pupil_import, "_match", read_then_someone_saves)
    with pytest.raises(ValidationError, match="Someone changed"):
        _sync(school_a, [_row(FIRST, form="7B")])
    with schema_context(school_a.schema_name):
        assert PupilSyncRun.objects.count() == 1
        assert not PupilHistory.objects.exists()
