"""The concerns inbox reads in order of urgency: what waits for screening, then the cases by
their next deadline, then the closed."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import Action, Concern
from safeguarding.services.concerns import (
    action_add,
    concern_record,
    concern_screen,
    concern_status_set,
)
from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role


def test_unscreened_first_oldest_first_then_cases_by_next_due_date_and_closed_last(
    world: World, school_a: School
) -> None:
    staff = person(world.person("a", Role.STAFF), Role.STAFF)
    dsl = person(world.person("a", Role.DSL), Role.DSL)
    start = timezone.now() - dt.timedelta(days=10)

    def recorded(days: int, name: str) -> Concern:
        with time_machine.travel(start + dt.timedelta(days=days), tick=False):
            return concern_record(
                school=school_a,
                author=staff,
                pupil_ids=[make_pupil(name, "Ashgrove").pk],
                category_ids=category_ids("neglect"),
                account="Hungry at breakfast club.",
            )

    def screened(concern: Concern) -> Concern:
        return concern_screen(
            concern=concern, screener=dsl, level=Concern.Level.LOW, rationale="One-off"
        )

    with schema_context(school_a.schema_name):
        closed = screened(recorded(0, "Closed"))
        concern_status_set(
            concern=closed, actor=dsl, status=Concern.Status.CLOSED, summary="Resolved"
        )
        due_later = screened(recorded(1, "Later"))
        action_add(
            concern=due_later,
            actor=dsl,
            kind=Action.Kind.PARENTS_INFORMED,
            due_on=timezone.localdate() + dt.timedelta(days=9),
        )
        no_due = screened(recorded(2, "Nodue"))
        new_newer = recorded(5, "Newer")
        due_soon = screened(recorded(3, "Soon"))
        concern_status_set(concern=due_soon, actor=dsl, status=Concern.Status.OPEN)
        action_add(
            concern=due_soon,
            actor=dsl,
            kind=Action.Kind.CONVERSATION_PUPIL,
            due_on=timezone.localdate() + dt.timedelta(days=2),
        )
        new_older = recorded(4, "Older")

    page = school_client(school_a, world.person("a", Role.DSL)).get("/concerns/").text
    order = [int(pk) for pk in re.findall(r'href="/concerns/(\d+)/"', page)]

    assert order == [
        new_older.pk,
        new_newer.pk,
        due_soon.pk,
        due_later.pk,
        no_due.pk,
        closed.pk,
    ]
