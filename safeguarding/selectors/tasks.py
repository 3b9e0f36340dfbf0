"""A member of staff's tasks: the actions the DSL assigned to them.

A task shows the pupil's name and what is to be done, never the concern it came from
(docs/rules.md, "Tasks"). Only its assignee reads it here; the DSL and deputies work on actions
from the concern's page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Prefetch, QuerySet
from django.http import Http404, HttpRequest

from safeguarding.models import AccessAction, Action, Pupil, moved_with_the_file
from safeguarding.services.access import access_log_record
from safeguarding.services.chronology import Person

# How many completed tasks the page shows below the open ones.
DONE_SHOWN = 20


@dataclass(frozen=True)
class Task:
    """An action as its assignee sees it: the pupils' names and the action's text only."""

    action_id: int
    pupil_names: list[str]
    what: str
    description: str
    due_on: dt.date | None
    completed_at: dt.datetime | None
    outcome: str

    @property
    def is_open(self) -> bool:
        return self.completed_at is None


def _assigned(user_id: int) -> QuerySet[Action]:
    return (
        Action.objects.filter(assignee_id=user_id)
        .prefetch_related(
            Prefetch(
                "concern__pupils",
                queryset=Pupil.objects.only(
                    "legal_first_name",
                    "legal_last_name",
                    "preferred_first_name",
                    "preferred_last_name",
                ),
            )
        )
        .only(
            "pk",
            "concern_id",
            "kind",
            "description",
            "due_on",
            "completed_at",
            "outcome",
            "created_at",
        )
    )


def _task(action: Action) -> tuple[Task, list[int]]:
    pupils = list(action.concern.pupils.all())
    return (
        Task(
            action_id=action.pk,
            pupil_names=[p.display_name for p in pupils],
            what=action.get_kind_display(),
            description=action.description,
            due_on=action.due_on,
            completed_at=action.completed_at,
            outcome=action.outcome,
        ),
        [p.pk for p in pupils],
    )


def tasks_of_assignee(*, person: Person, request: HttpRequest | None = None) -> list[Task]:
    """The person's tasks: open ones first by due date (undated last), then the latest done.

    Each task shown is written to the access log, one entry per pupil named.
    """
    # An action whose concern moved with the child's file is the receiving school's now.
    open_actions = (
        _assigned(person.user_id)
        .filter(completed_at__isnull=True)
        .exclude(moved_with_the_file("concern_id"))
    )
    done_actions = _assigned(person.user_id).filter(completed_at__isnull=False)
    actions = [
        *open_actions.order_by(F("due_on").asc(nulls_last=True), "created_at", "pk"),
        *done_actions.order_by("-completed_at", "-pk")[:DONE_SHOWN],
    ]
    tasks = []
    for action in actions:
        task, pupil_ids = _task(action)
        for pupil_id in pupil_ids:
            access_log_record(
                person=person,
                action=AccessAction.VIEWED_RECORD,
                object_type="action",
                object_id=action.pk,
                pupil_id=pupil_id,
                request=request,
            )
        tasks.append(task)
    return tasks


def task_get_for_assignee(*, user_id: int, action_id: int) -> Action:
    """An open or done action assigned to this person; the same 404 for missing and not theirs."""
    action = Action.objects.filter(pk=action_id, assignee_id=user_id).first()
    if action is None:
        raise Http404
    return action
