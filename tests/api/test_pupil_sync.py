"""POST /api/v1/pupils/sync/: the CSV import's upsert, row by row, for an MIS pushing its roll."""

from __future__ import annotations

import datetime as dt

from django_tenants.utils import schema_context

from safeguarding.models import Pupil
from tests.api.helpers import key_client, make_key
from tests.conftest import World
from tests.safeguarding.fixtures import enrol, make_upn
from trustplatform.accounts.models import Role

# Serials of this module's invented pupils.
NEW, KEPT, CHANGED, LEAVER, BROKEN = (make_upn(serial) for serial in range(81500, 81505))


def _row(upn: str, first: str, **fields: object) -> dict[str, object]:
    return {
        "upn": upn,
        "legal_first_name": first,
        "legal_last_name": "Invented",
        "date_of_birth": "2014-05-02",
        "sex": "F",
        "year_group": 6,
        "form": "6A",
    } | fields


def test_sync_reports_each_row_and_keeps_leavers(world: World, db: None) -> None:
    with schema_context(world.school_a.schema_name):
        for upn, first in ((KEPT, "Amaryllis"), (CHANGED, "Corisande"), (LEAVER, "Delphine")):
            enrol(
                first=first,
                last="Invented",
                year_group=6,
                upn=upn,
                date_of_birth=dt.date(2014, 5, 2),
                form="6A",
            )
    made = make_key(world, "write_pupils", role=Role.SCHOOL_ADMIN)
    response = key_client(world.school_a, made.token).post(
        "/api/v1/pupils/sync/",
        {
            "pupils": [
                _row(NEW, "Briallen"),
                _row(KEPT, "Amaryllis"),
                _row(CHANGED, "Corisande", form="6B"),
                _row(LEAVER, "Delphine", leaving_date="2026-07-22"),
                _row(BROKEN, "Ebrel", sex="X", child_protection_plan=True),
                {"upn": "not a upn", "legal_first_name": "Fenella"},
            ]
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [row["outcome"] for row in body["rows"]] == [
        "created",
        "unchanged",
        "updated",
        "updated",
        "rejected",
        "rejected",
    ]
    assert (body["created"], body["updated"], body["unchanged"], body["rejected"]) == (1, 2, 1, 2)
    assert body["leavers"] == 1
    broken = body["rows"][4]["reasons"]
    assert any("sex" in reason for reason in broken)
    # A pupil-sync key never writes a safeguarding flag: the field is refused by name.
    assert any("child_protection_plan" in reason for reason in broken)
    assert body["rows"][2]["changes"] == ["form"]
    with schema_context(world.school_a.schema_name):
        assert Pupil.objects.get(upn=CHANGED).form == "6B"
        leaver = Pupil.objects.get(upn=LEAVER)
        assert leaver.leaving_date == dt.date(2026, 7, 22)
        assert Pupil.objects.filter(upn=NEW).exists()
        assert not Pupil.objects.filter(upn=BROKEN).exists()
    # Sent again, nothing changes: the upsert is keyed on the UPN.
    again = key_client(world.school_a, made.token).post(
        "/api/v1/pupils/sync/",
        {"pupils": [_row(NEW, "Briallen"), _row(LEAVER, "Delphine", leaving_date="2026-07-22")]},
        content_type="application/json",
    )
    assert [row["outcome"] for row in again.json()["rows"]] == ["unchanged", "unchanged"]


def test_a_pupil_missing_from_the_sync_is_left_alone(world: World, db: None) -> None:
    with schema_context(world.school_a.schema_name):
        kept = enrol(first="Gwenllian", last="Invented", serial=81510)
    made = make_key(world, "write_pupils")
    response = key_client(world.school_a, made.token).post(
        "/api/v1/pupils/sync/",
        {"pupils": [_row(make_upn(81511), "Hesper")]},
        content_type="application/json",
    )
    assert response.json()["created"] == 1
    with schema_context(world.school_a.schema_name):
        assert Pupil.objects.get(pk=kept.pk).leaving_date is None


def test_a_sync_body_that_is_not_a_list_of_pupils_is_refused_with_the_error_shape(
    world: World, db: None
) -> None:
    made = make_key(world, "write_pupils")
    response = key_client(world.school_a, made.token).post(
        "/api/v1/pupils/sync/", {"pupils": "everyone"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["pupils"]
