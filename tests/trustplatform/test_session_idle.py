"""Everyone who sees pupils' details is signed out after 30 idle minutes: the child-data readers
and the school administrator, who sees pupils' names and dates of birth to import and enrol them.
"""

from __future__ import annotations

import time

import pytest
import time_machine

from tests.conftest import World, school_client
from trustplatform.accounts import middleware
from trustplatform.accounts.middleware import IDLE_TIMEOUT_SECONDS
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


class _ClockPassingASecondEachRead:
    """A clock read twice in one request crosses a second's boundary between the two reads."""

    def __init__(self, start: float) -> None:
        self.now = start

    def time(self) -> float:
        self.now += 1.0
        return self.now


def test_staying_signed_in_answers_the_whole_timeout_however_the_clock_moves(
    world: World, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    dsl = school_client(world.school_a, world.person("a", Role.DSL))
    assert dsl.get("/accounts/session/").json()["seconds_left"] > 0
    monkeypatch.setattr(middleware, "time", _ClockPassingASecondEachRead(time.time()))
    stayed = dsl.post("/accounts/session/")
    assert stayed.status_code == 200
    assert stayed.json()["seconds_left"] == IDLE_TIMEOUT_SECONDS
