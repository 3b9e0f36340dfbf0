from __future__ import annotations

from django_tenants.utils import schema_context

from safeguarding.models import AccessAction
from safeguarding.services.access import access_log_record
from safeguarding.services.chronology import Person
from tenants.models import School
from tests.conftest import World, school_client
from trustplatform.accounts.models import Role


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
