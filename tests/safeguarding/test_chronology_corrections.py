"""Correcting a chronology entry from its own page, linked from each entry of the chronology."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import AccessAction, AccessLogEntry, ChronologyEntry, Pupil
from safeguarding.services.concerns import concern_record, contact_record
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role

CALL = "Sentinel-call-summary-Vendrake: rang social care about the weekend."
CORRECTED = "Rang social care about the weekend; spoke to the duty worker."


def _call(world: World) -> tuple[Pupil, ChronologyEntry]:
    pupil = make_pupil("Marisol", "Tennant")
    entry = contact_record(
        pupil=pupil,
        author=person(world.person("a", Role.DSL), Role.DSL),
        kind=ChronologyEntry.Kind.PHONE_CALL,
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        summary=CALL,
        agency="Children's social care",
        person="Duty worker",
    )
    return pupil, entry


def test_the_chronology_links_each_entry_to_its_correction_page_without_a_form_under_it(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        pupil, call = _call(world)
        concern = concern_record(
            school=school_a,
            author=person(world.person("a", Role.STAFF), Role.STAFF),
            pupil_ids=[pupil.pk],
            category_ids=category_ids("online-safety"),
            account="He said a stranger messaged him.",
            location="Library",
            occurred_at=timezone.now() - dt.timedelta(minutes=5),
        )
    client = school_client(school_a, world.person("a", Role.DSL))

    page = client.get(f"/pupils/{pupil.pk}/chronology/").text

    assert f'href="/chronology/{call.pk}/correct/"' in page
    # A concern's entry is corrected on the concern's own correction page.
    assert f'href="/concerns/{concern.pk}/correct/"' in page
    assert 'name="reason"' not in page


def test_the_dsl_corrects_an_entry_from_its_page(world: World, school_a: School) -> None:
    with schema_context(school_a.schema_name):
        pupil, call = _call(world)
    client = school_client(school_a, world.person("a", Role.DSL))

    form = client.get(f"/chronology/{call.pk}/correct/")
    assert form.status_code == 200
    assert CALL in form.text  # the entry, and the form starting from its text
    with schema_context(school_a.schema_name):
        assert AccessLogEntry.objects.filter(
            action=AccessAction.VIEWED_RECORD, pupil_id=pupil.pk
        ).exists()

    refused = client.post(f"/chronology/{call.pk}/correct/", {"body": CORRECTED})
    assert refused.status_code == 200
    assert "This field is required." in refused.text
    response = client.post(
        f"/chronology/{call.pk}/correct/", {"body": CORRECTED, "reason": "Named the worker."}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/pupils/{pupil.pk}/chronology/"
    page = client.get(f"/pupils/{pupil.pk}/chronology/").text
    assert CORRECTED in page
    assert "Named the worker." in page
    again = client.post(f"/chronology/{call.pk}/correct/", {"body": "Again.", "reason": "Twice."})
    assert "already been corrected" in again.text


def test_a_weaker_role_another_school_and_anonymous_cannot_open_the_correction_page(
    world: World, school_a: School
) -> None:
    with schema_context(school_a.schema_name):
        _pupil, call = _call(world)
    url = f"/chronology/{call.pk}/correct/"
    for client in (
        school_client(school_a, world.person("a", Role.STAFF)),
        school_client(school_a, world.person("a", Role.HEADTEACHER)),
        school_client(school_a, world.person("b", Role.DSL)),
        school_client(school_a),
    ):
        for response in (
            client.get(url),
            client.post(url, {"body": CORRECTED, "reason": "Not theirs."}),
        ):
            assert response.status_code in {302, 403, 404}
            assert CALL not in response.text
    with schema_context(school_a.schema_name):
        assert not ChronologyEntry.objects.filter(supersedes=call).exists()
