from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django_tenants.utils import schema_context

from safeguarding.models import AccessAction, AccessLogEntry
from safeguarding.services.access import access_log_record
from safeguarding.services.chronology import Person
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import make_pupil
from trustplatform.accounts.models import Role, User


def _log(school: School, *, user_id: int, action: AccessAction, pupil_id: int) -> None:
    with schema_context(school.schema_name):
        access_log_record(
            person=Person(user_id=user_id, name=f"Person {user_id}", role="dsl"),
            action=action,
            object_type="pupil",
            object_id=pupil_id,
            pupil_id=pupil_id,
        )


def test_the_dsl_reads_and_filters_the_schools_access_log(world: World, school_a: School) -> None:
    _log(school_a, user_id=101, action=AccessAction.VIEWED_RECORD, pupil_id=7)
    _log(school_a, user_id=102, action=AccessAction.EXPORTED, pupil_id=8)
    client = school_client(school_a, world.person("a", Role.DSL))

    everything = client.get("/access-log/")
    assert everything.status_code == 200
    assert "Person 101" in everything.text and "Person 102" in everything.text
    # Roles as people say them, not as they are stored.
    assert "Person 101 (Designated Safeguarding Lead)" in everything.text
    assert "(dsl)" not in everything.text

    exports = client.get("/access-log/", {"action": "exported"})
    assert "Person 102" in exports.text and "Person 101" not in exports.text

    by_pupil = client.get("/access-log/", {"pupil": "7"})
    assert "Person 101" in by_pupil.text and "Person 102" not in by_pupil.text


def test_another_schools_access_log_is_never_shown(
    world: World, school_a: School, school_b: School
) -> None:
    _log(school_a, user_id=101, action=AccessAction.VIEWED_RECORD, pupil_id=7)
    page = school_client(school_b, world.person("b", Role.DSL)).get("/access-log/")
    assert page.status_code == 200
    assert "Person 101" not in page.text


def test_filters_it_cannot_read_are_reported_not_fatal(world: World, school_a: School) -> None:
    page = school_client(school_a, world.person("a", Role.DSL)).get(
        "/access-log/", {"since": "soon"}
    )
    assert page.status_code == 200
    assert "not understood" in page.text


def test_the_access_log_has_no_way_to_change_entries(world: World, school_a: School) -> None:
    client = school_client(school_a, world.person("a", Role.DSL))
    assert client.post("/access-log/").status_code == 405


def _view(school: School, user: User, pupil_id: int, *, object_id: int | None = None) -> None:
    with schema_context(school.schema_name):
        access_log_record(
            person=Person(user_id=user.pk, name=user.full_name, role="dsl"),
            action=AccessAction.VIEWED_RECORD,
            object_type="concern",
            object_id=object_id or pupil_id,
            pupil_id=pupil_id,
        )


def _rows(page_text: str) -> list[str]:
    body = page_text.split("<tbody>")[1].split("</tbody>", maxsplit=1)[0]
    return [" ".join(row.split()) for row in body.split("<tr>")[1:]]


def test_repeated_views_within_15_minutes_show_as_one_row_and_every_view_stays_stored(
    world: World, school_a: School
) -> None:
    dsl = world.person("a", Role.DSL)
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Merryn", "Quillfeather")
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    for minutes in (0, 2, 5, 7, 10, 30):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            _view(school_a, dsl, pupil.pk)

    page = school_client(school_a, dsl).get("/access-log/")

    rows = _rows(page.text)
    assert len(rows) == 2
    later, earlier = rows
    assert "5 views" in earlier and "09:00\u201309:10" in earlier
    assert "views" not in later and "09:30" in later
    assert "Merryn Quillfeather" in earlier and dsl.full_name in earlier
    with schema_context(school_a.schema_name):
        assert AccessLogEntry.objects.filter(pupil_id=pupil.pk).count() == 6


def test_views_of_different_records_or_by_different_people_are_not_grouped(
    world: World, school_a: School
) -> None:
    dsl, deputy = world.person("a", Role.DSL), world.person("a", Role.DEPUTY_DSL)
    with schema_context(school_a.schema_name):
        first, second = make_pupil("Ysolde", "Brackwater"), make_pupil("Corin", "Brackwater")
    _view(school_a, dsl, first.pk)
    _view(school_a, dsl, second.pk)
    _view(school_a, deputy, first.pk)

    rows = _rows(school_client(school_a, dsl).get("/access-log/").text)

    assert len(rows) == 3 and not any("views" in row for row in rows)


def test_the_dsl_filters_by_a_pupils_name_typed_and_never_put_in_the_address(
    world: World, school_a: School
) -> None:
    dsl = world.person("a", Role.DSL)
    with schema_context(school_a.schema_name):
        wanted, other = make_pupil("Lowenna", "Trevithick"), make_pupil("Jago", "Polglaze")
    _view(school_a, dsl, wanted.pk)
    _view(school_a, dsl, other.pk)
    client = school_client(school_a, dsl)

    found = client.post(
        "/access-log/filter/", {"pupil_name": "lowenna trev", "action": "viewed_record"}
    )

    assert found.status_code == 302
    address = found["Location"]
    assert "owenna" not in address.lower() and "trev" not in address.lower()
    assert f"pupil={wanted.pk}" in address and "action=viewed_record" in address
    page = client.get(address)
    assert "Lowenna Trevithick" in page.text and "Jago Polglaze" not in page.text

    nobody = client.post("/access-log/filter/", {"pupil_name": "Zzyzx"}, follow=True)
    assert "No pupil of this school has a name matching" in nobody.text
    assert "Zzyzx" not in nobody.redirect_chain[-1][0]


def test_the_dsl_filters_by_a_member_of_staff_chosen_by_name(
    world: World, school_a: School
) -> None:
    dsl, deputy = world.person("a", Role.DSL), world.person("a", Role.DEPUTY_DSL)
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Tegen", "Carlyon")
    _view(school_a, dsl, pupil.pk, object_id=1)
    _view(school_a, deputy, pupil.pk, object_id=2)
    client = school_client(school_a, dsl)

    page = client.get("/access-log/")
    assert f'<option value="{deputy.pk}">{deputy.full_name}</option>' in page.text
    only_deputy = _rows(client.get("/access-log/", {"user": deputy.pk}).text)
    assert len(only_deputy) == 1 and deputy.full_name in only_deputy[0]


def test_the_access_log_pages_through_visits_with_a_bounded_number_of_queries(
    world: World, school_a: School, django_assert_max_num_queries: Any
) -> None:
    dsl = world.person("a", Role.DSL)
    with schema_context(school_a.schema_name):
        pupils = [make_pupil(f"Pupil{i}", "Roskilly") for i in range(60)]
    for pupil in pupils:
        _view(school_a, dsl, pupil.pk)
    client = school_client(school_a, dsl)
    client.get("/access-log/")  # the session, the site's caches and the host's school are warm

    with django_assert_max_num_queries(18):
        first = client.get("/access-log/")
    second = client.get("/access-log/", {"page": "2"})

    assert len(_rows(first.text)) == 50 and len(_rows(second.text)) == 10


def test_a_name_that_cannot_be_read_is_reported_and_the_log_still_opens(
    world: World, school_a: School
) -> None:
    client = school_client(school_a, world.person("a", Role.DSL))
    page = client.post("/access-log/filter/", {"pupil_name": "Jo\x00"}, follow=True)
    assert page.status_code == 200
    assert "name could not be read" in page.text
