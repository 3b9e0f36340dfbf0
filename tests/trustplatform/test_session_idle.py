"""Everyone who sees pupils' details is signed out after 30 idle minutes: the child-data readers
and the school administrator, who sees pupils' names and dates of birth to import and enrol them.
"""

from __future__ import annotations

import time

import time_machine

from tests.conftest import World, school_client
from trustplatform.accounts.models import Role


def test_a_school_administrator_idle_for_more_than_thirty_minutes_is_signed_out(
    world: World, db: None
) -> None:
    admin = school_client(world.school_a, world.person("a", Role.SCHOOL_ADMIN))
    governor = school_client(world.school_a, world.person("a", Role.GOVERNOR))

    with time_machine.travel(time.time() + 31 * 60, tick=False):
        timed_out = admin.get("/guidance/")
        governor_page = governor.get("/guidance/")

    assert timed_out.status_code == 302
    assert "/accounts/login/" in timed_out["Location"]
    # A governor sees no pupil's details: their session lasts the working day.
    assert governor_page.status_code == 200
