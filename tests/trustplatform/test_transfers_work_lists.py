"""A concern that moved with a child's file is the receiving school's to act on: at the sending
school, where the record is read-only, it leaves the DSL's work lists, the escalations and the
counts of work to do (docs/transfers.md, "Read-only after the move")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import time_machine
from django.core.cache import cache
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import Action, Concern
from safeguarding.permissions import Reader
from safeguarding.selectors.concerns import concern_inbox_for_reader
from safeguarding.selectors.dashboard import awaiting_screening, overdue_actions
from safeguarding.services.concerns import (
    action_add,
    concern_record,
    concern_screen,
    concern_status_set,
    concerns_escalate_overdue,
)
from tenants.models import School
from tests.conftest import World
from tests.safeguarding.conftest import category_ids
from tests.safeguarding.fixtures import enrol
from tests.trustplatform.test_transfers import documents_root, person_of, start
from trustplatform.accounts.models import Role
from trustplatform.schooldays.calendar import calendar_of
from trustplatform.statistics.models import SchoolSnapshot
from trustplatform.statistics.services import school_figures_compute
from trustplatform.transfers.services import transfer_accept

__all__ = ["documents_root"]  # the fixture, used by name

SERIAL = 83910


def _dsl_reader(world: World, place: str) -> Reader:
    dsl = world.person(place, Role.DSL)
    return Reader(user_id=dsl.pk, name=dsl.full_name, role=Role.DSL, reads_everything=True)


def _work(world: World, school: School, place: str, now: dt.datetime) -> dict[str, object]:
    """What the school's DSL is asked to do, and the school's counts of it, at `now`."""
    with schema_context(school.schema_name):
        reader = _dsl_reader(world, place)
        figures = school_figures_compute(now=now)
        waiting = awaiting_screening(reader, calendar=calendar_of(school), now=now)
        overdue = overdue_actions(reader, today=timezone.localdate(now))
        return {
            "waiting": sorted(a.concern.account for a in waiting.items),
            "overdue actions": sorted(a.description for a in overdue.items),
            "open cases": figures.open_cases,
            "waiting over 24h": figures.unscreened_over_24h,
            "overdue actions count": figures.overdue_actions,
        }


def test_a_concern_that_moved_with_the_file_leaves_the_sending_schools_work(
    world: World,
    school_a: School,
    documents_root: Path,
    tasks_run_when_sent: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    staff, dsl = person_of(world, "a", Role.STAFF), person_of(world, "a", Role.DSL)
    with schema_context(school_a.schema_name):
        moving = enrol(first="Tamsin", last="Quarrie", serial=SERIAL)
        staying = enrol(first="Ottilie", last="Brannock", serial=SERIAL + 1)
        recorded = {
            account: concern_record(
                school=school_a,
                author=staff,
                pupil_ids=pupils,
                category_ids=category_ids("neglect"),
                account=account,
            )
            for account, pupils in (
                ("Unscreened: about the child who moves.", [moving.pk]),
                ("Unscreened: about both children.", [moving.pk, staying.pk]),
                ("Screened: about the child who moves.", [moving.pk]),
            )
        }
        screened = recorded["Screened: about the child who moves."]
        concern_screen(
            concern=screened, screener=dsl, level=Concern.Level.MEDIUM, rationale="Watch."
        )
        concern_status_set(concern=screened, actor=dsl, status=Concern.Status.OPEN)
        action_add(
            concern=screened,
            actor=dsl,
            kind=Action.Kind.PARENTS_INFORMED,
            description="Call home",
            due_on=timezone.localdate() + dt.timedelta(days=1),
        )
    transfer = start(world, moving)
    cache.clear()  # no refresh marked pending by another test
    with (
        schema_context(world.school_b.schema_name),
        django_capture_on_commit_callbacks(execute=True),
    ):
        transfer_accept(
            actor=world.person("b", Role.DSL), school=world.school_b, transfer_id=transfer.pk
        )
    # Both schools' figures were refreshed once the move committed (eager here: the worker's
    # task, run at once), the trust lead's dashboard with them.
    open_cases = dict(
        SchoolSnapshot.objects.filter(school__in=[school_a, world.school_b]).values_list(
            "school__slug", "open_cases"
        )
    )
    assert open_cases == {school_a.slug: 0, world.school_b.slug: 1}

    later = timezone.now() + dt.timedelta(days=10)
    # Written down, not computed: what each school's DSL has to do once the file has moved.
    assert _work(world, school_a, "a", later) == {
        "waiting": ["Unscreened: about both children."],  # the child who stayed is still here
        "overdue actions": [],
        "open cases": 0,
        "waiting over 24h": 1,
        "overdue actions count": 0,
    }
    assert _work(world, world.school_b, "b", later) == {
        "waiting": [
            "Unscreened: about both children.",  # copied with the file, for this child only
            "Unscreened: about the child who moves.",
        ],
        "overdue actions": ["Call home"],
        "open cases": 1,
        "waiting over 24h": 2,
        "overdue actions count": 1,
    }
    # The sending school's inbox keeps them readable, last and marked, in no status's list.
    with schema_context(school_a.schema_name):
        inbox = concern_inbox_for_reader(_dsl_reader(world, "a"))
        # `moved_away` is an annotation of the inbox's queryset, unknown to the type checker.
        assert [(c.account, c.moved_away) for c in inbox] == [  # type: ignore[attr-defined]
            ("Unscreened: about both children.", False),
            ("Screened: about the child who moves.", True),
            ("Unscreened: about the child who moves.", True),
        ]
        assert [
            c.account for c in concern_inbox_for_reader(_dsl_reader(world, "a"), status="new")
        ] == ["Unscreened: about both children."]
        assert not concern_inbox_for_reader(_dsl_reader(world, "a"), status="open").exists()
    with time_machine.travel(later):
        with schema_context(school_a.schema_name):
            escalated_a = concerns_escalate_overdue(school=school_a)
            assert [Concern.objects.get(pk=pk).account for pk in escalated_a] == [
                "Unscreened: about both children."
            ]
        with schema_context(world.school_b.schema_name):
            escalated_b = concerns_escalate_overdue(school=world.school_b)
            assert sorted(Concern.objects.get(pk=pk).account for pk in escalated_b) == [
                "Unscreened: about both children.",
                "Unscreened: about the child who moves.",
            ]
