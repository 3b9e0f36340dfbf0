"""Drafts: what a person types into a long form is kept for them alone until they send it."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import ChronologyEntry, Concern, Draft
from safeguarding.services.concerns import concern_record
from safeguarding.services.drafts import DRAFT_MAX_BYTES, draft_save
from tenants.models import School
from tenants.tasks import drafts_expire_task
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.middleware import IDLE_TIMEOUT_SECONDS, SESSION_LAST_ACTIVITY
from trustplatform.accounts.models import Role

ACCOUNT = "He said \u201cmy dad hit me with the belt\u201d and showed me his arm. " * 14
BACKGROUND = {"X-Background": "autosave"}


def _save(client: Client, url: str, fields: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(fields), content_type="application/json", headers=BACKGROUND)


def _concern(world: World, school: School) -> Concern:
    with schema_context(school.schema_name):
        return concern_record(
            school=school,
            author=person(world.person("a", Role.STAFF), Role.STAFF),
            pupil_ids=[make_pupil("Isaura", "Penhallow").pk],
            category_ids=category_ids("neglect"),
            account="Came in without a coat again.",
        )


def _idle(client: Client, seconds: int) -> None:
    session = client.session
    session[SESSION_LAST_ACTIVITY] = int(time.time()) - seconds
    session.save()


def test_a_draft_is_saved_offered_back_and_discarded(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Jory", "Vantongeren")
    client = school_client(school_a, world.person("a", Role.STAFF))

    saved = _save(
        client, "/drafts/concern/0/", {"account": ACCOUNT, "pupils": [str(pupil.pk)], "q": "Jo"}
    )
    assert saved.status_code == 200
    assert saved.json()["saved_at_text"] == f"{timezone.localtime():%H:%M}"

    offered = client.get("/drafts/concern/0/", headers=BACKGROUND).json()["draft"]
    assert offered["fields"]["account"] == [ACCOUNT]
    assert "q" not in offered["fields"]  # the search box is not part of the concern
    assert offered["pupils"] == {str(pupil.pk): "Jory Vantongeren (Year 5, 5B)"}

    assert client.post("/drafts/concern/0/discard/").status_code == 200
    assert client.get("/drafts/concern/0/").json() == {"draft": None}


def test_sending_a_form_deletes_its_draft(world: World, school_a: School) -> None:
    concern = _concern(world, school_a)
    dsl = school_client(school_a, world.person("a", Role.DSL))
    _save(dsl, f"/drafts/screening/{concern.pk}/", {"rationale": ["Third time this term"]})
    _save(dsl, f"/drafts/action/{concern.pk}/", {"description": ["Call mum"]})

    dsl.post(f"/concerns/{concern.pk}/screen/", {"level": "medium", "rationale": "Third time"})

    with schema_context(school_a.schema_name):
        assert list(Draft.objects.values_list("form", flat=True)) == ["action"]
    assert dsl.get(f"/drafts/screening/{concern.pk}/").json() == {"draft": None}


@pytest.mark.parametrize("reader", ["a:staff", "a:dsl", "b:dsl", "c:dsl", "anonymous"])
def test_nobody_but_the_author_reads_a_draft(world: World, school_a: School, reader: str) -> None:
    author = school_client(school_a, world.person("a", Role.STAFF))
    _save(author, "/drafts/concern/0/", {"account": [ACCOUNT]})
    if reader == "anonymous":
        client = school_client(school_a)
    elif reader == "a:staff":
        client = school_client(school_a, world.person("a", Role.KEY_HOLDER))  # another colleague
    else:
        place, role = reader.split(":")
        client = school_client(school_a, world.person(place, Role(role)))

    response = client.get("/drafts/concern/0/", headers=BACKGROUND)

    assert ACCOUNT[:30] not in response.text
    if reader in {"a:staff", "a:dsl"}:
        assert response.json() == {"draft": None}  # their own: none
    else:
        assert response.status_code in {403, 404}


def test_a_draft_is_not_a_record(world: World, school_a: School) -> None:
    concern = _concern(world, school_a)
    dsl = school_client(school_a, world.person("a", Role.DSL))
    with schema_context(school_a.schema_name):
        before = ChronologyEntry.objects.count()

    _save(dsl, f"/drafts/screening/{concern.pk}/", {"rationale": ["Draft rationale words"]})

    with schema_context(school_a.schema_name):
        assert ChronologyEntry.objects.count() == before
    page = dsl.get(f"/concerns/{concern.pk}/")
    assert "Draft rationale words" not in page.text  # offered by the script only, on request


def test_an_autosave_after_the_idle_timeout_is_refused_and_nothing_is_stored(
    world: World, school_a: School
) -> None:
    concern = _concern(world, school_a)
    dsl = school_client(school_a, world.person("a", Role.DSL))
    _idle(dsl, IDLE_TIMEOUT_SECONDS + 60)

    response = _save(dsl, f"/drafts/screening/{concern.pk}/", {"rationale": [ACCOUNT]})

    assert response.status_code == 403
    assert response.json()["signed_out"] is True
    with schema_context(school_a.schema_name):
        assert not Draft.objects.exists()
    # The session has ended: the next request is anonymous.
    assert _save(dsl, "/drafts/concern/0/", {"account": [ACCOUNT]}).status_code == 403


def test_an_autosave_is_no_activity_and_keeps_no_idle_session_alive(
    world: World, school_a: School
) -> None:
    dsl = school_client(school_a, world.person("a", Role.DSL))
    _idle(dsl, 10 * 60)
    last = dsl.session[SESSION_LAST_ACTIVITY]

    assert _save(dsl, "/drafts/concern/0/", {"account": ["Typing"]}).status_code == 200

    assert dsl.session[SESSION_LAST_ACTIVITY] == last


def test_a_draft_over_100_kb_is_refused_with_a_clear_message(
    world: World, school_a: School
) -> None:
    client = school_client(school_a, world.person("a", Role.STAFF))

    response = _save(client, "/drafts/concern/0/", {"account": ["x" * (DRAFT_MAX_BYTES + 1)]})

    assert response.status_code == 413
    assert "too long to keep (over 100 KB)" in response.json()["error"]
    with schema_context(school_a.schema_name):
        assert not Draft.objects.exists()


def test_a_draft_of_another_form_or_record_than_yours_is_refused(
    world: World, school_a: School
) -> None:
    concern = _concern(world, school_a)
    staff = school_client(school_a, world.person("a", Role.STAFF))
    dsl = school_client(school_a, world.person("a", Role.DSL))

    # Staff never screen; nobody keeps a draft for a record that is not there.
    assert _save(staff, f"/drafts/screening/{concern.pk}/", {"rationale": ["x"]}).status_code == 404
    assert _save(dsl, "/drafts/screening/999999/", {"rationale": ["x"]}).status_code == 404
    assert _save(dsl, "/drafts/nonsense/0/", {"rationale": ["x"]}).status_code == 404


def test_drafts_are_deleted_seven_days_after_their_last_save(
    world: World, school_a: School, tasks_run_when_sent: None
) -> None:
    author = world.person("a", Role.STAFF).pk
    with schema_context(school_a.schema_name):
        old = draft_save(author_id=author, form=Draft.Form.CONCERN, record_id=0, fields={"a": []})
        assert old is None  # nothing typed: nothing kept
        old = draft_save(
            author_id=author, form=Draft.Form.CONCERN, record_id=0, fields={"account": ["Old"]}
        )
        recent = draft_save(
            author_id=author,
            form=Draft.Form.CONTACT,
            record_id=make_pupil("Jory", "Vantongeren").pk,
            fields={"summary": ["Recent"]},
        )
        assert old is not None and recent is not None
        Draft.objects.filter(pk=old.pk).update(
            saved_at=timezone.now() - dt.timedelta(days=7, minutes=1)
        )
        Draft.objects.filter(pk=recent.pk).update(
            saved_at=timezone.now() - dt.timedelta(days=6, hours=23)
        )

    drafts_expire_task.apply().get()

    with schema_context(school_a.schema_name):
        assert list(Draft.objects.values_list("pk", flat=True)) == [recent.pk]


def test_the_session_says_how_long_it_has_left_and_stay_signed_in_starts_it_again(
    world: World, school_a: School
) -> None:
    dsl = school_client(school_a, world.person("a", Role.DSL))
    _idle(dsl, 28 * 60)

    left = dsl.get("/accounts/session/", headers=BACKGROUND).json()["seconds_left"]
    assert 100 <= left <= 120
    assert dsl.post("/accounts/session/").json()["seconds_left"] == IDLE_TIMEOUT_SECONDS
    # Staff who read no child data are not signed out for idleness.
    staff = school_client(school_a, world.person("a", Role.STAFF))
    assert staff.get("/accounts/session/").json() == {"seconds_left": None}
    assert school_client(school_a).post("/accounts/session/").status_code == 403


def test_saving_one_draft_again_within_a_second_is_refused(world: World, school_a: School) -> None:
    client = school_client(school_a, world.person("a", Role.STAFF))

    assert _save(client, "/drafts/concern/0/", {"account": ["First"]}).status_code == 200
    again = _save(client, "/drafts/concern/0/", {"account": ["Second"]})

    assert again.status_code == 429
    assert client.get("/drafts/concern/0/").json()["draft"]["fields"]["account"] == ["First"]


def test_a_call_added_to_the_chronology_deletes_its_draft_and_no_other(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil, other = make_pupil("Jory", "Vantongeren"), make_pupil("Odalys", "Fenwright")
    dsl = school_client(school_a, world.person("a", Role.DSL))
    _save(dsl, f"/drafts/contact/{pupil.pk}/", {"summary": ["They will call back"]})
    _save(dsl, f"/drafts/contact/{other.pk}/", {"summary": ["Another child's call"]})

    dsl.post(
        f"/pupils/{pupil.pk}/contacts/",
        {
            "kind": "phone_call",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "person": "Duty social worker",
            "summary": "They will call back.",
        },
    )

    with schema_context(school_a.schema_name):
        assert list(Draft.objects.values_list("record_id", flat=True)) == [other.pk]


def test_a_concerns_draft_keeps_its_body_map_marks_with_their_places_and_notes(
    world: World, school_a: School
) -> None:
    client = school_client(school_a, world.person("a", Role.STAFF))
    saved = _save(
        client,
        "/drafts/concern/0/",
        {
            "account": ["Bruising seen at PE."],
            "mark_view": ["front", "back"],
            "mark_x": ["86", "50"],
            "mark_y": ["92", "60"],
            "mark_note": ["Bruise, 3 cm", "Red marks in a line"],
        },
    )
    assert saved.status_code == 200

    offered = client.get("/drafts/concern/0/", headers=BACKGROUND).json()["draft"]
    assert offered["marks"] == [
        {
            "view": "front",
            "x": 86.0,
            "y": 92.0,
            "region": "left_forearm",
            "place": "child's left forearm",
            "note": "Bruise, 3 cm",
        },
        {
            "view": "back",
            "x": 50.0,
            "y": 60.0,
            "region": "upper_back",
            "place": "upper back",
            "note": "Red marks in a line",
        },
    ]
    assert "mark_note" not in offered["fields"]  # kept once, as marks


def test_a_draft_with_only_marks_is_kept_and_one_with_unmatched_columns_refused(
    world: World, school_a: School
) -> None:
    client = school_client(school_a, world.person("a", Role.STAFF))
    only_marks = {"mark_view": ["front"], "mark_x": ["50"], "mark_y": ["16"], "mark_note": [""]}
    assert _save(client, "/drafts/concern/0/", only_marks).status_code == 200
    assert client.get("/drafts/concern/0/").json()["draft"]["marks"][0]["place"] == "head"

    time.sleep(1.1)  # one save a second
    unmatched = only_marks | {"mark_note": ["a", "b"]}
    assert _save(client, "/drafts/concern/0/", unmatched).status_code == 400
