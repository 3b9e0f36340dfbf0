"""Authorisation-matrix rows for My tasks: the actions assigned to the signed-in person."""

from __future__ import annotations

from collections.abc import Mapping

from django_tenants.utils import schema_context

from safeguarding.models import Action
from safeguarding.services.concerns import action_add, concern_record
from tests.authz import A_MEMBERS, Row, actors
from tests.conftest import World
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role


def staff_task_kwargs(world: World) -> Mapping[str, object]:
    """An action of school A assigned to its member of staff."""
    with schema_context(world.school_a.schema_name):
        staff = world.person("a", Role.STAFF)
        concern = concern_record(
            school=world.school_a,
            author=person(world.person("a", Role.KEY_HOLDER), Role.KEY_HOLDER),
            pupil_ids=[make_pupil("Wrenna", "Castlemoor").pk],
            category_ids=category_ids("neglect"),
            account="Hungry at breakfast club.",
        )
        action: Action = action_add(
            concern=concern,
            actor=person(world.person("a", Role.DSL), Role.DSL),
            kind=Action.Kind.CONVERSATION_PUPIL,
            assignee=person(staff, Role.STAFF),
        )
        return {"action_id": action.pk}


SCHOOL_ROWS: dict[str, Row] = {
    # Everyone of the school but a governor (who sees no child data) may be given a task; the
    # page lists one's own only.
    "safeguarding:my_tasks": Row(allowed=A_MEMBERS - actors("a:governor")),
    # Only the assignee completes it here (the DSL and deputies do so on the concern's page):
    # anyone else gets the same 404 as for no task.
    "safeguarding:task_complete": Row(
        allowed=actors("a:staff"),
        method="POST",
        data={"outcome": "Spoke with her at break."},
        kwargs=staff_task_kwargs,
    ),
}

SCHOOL_ROWS |= {
    # The access log's filter form: a pupil's name becomes ids; the DSL alone reads the log.
    "safeguarding:access_log_pupil": Row(
        allowed=actors("a:dsl"), method="POST", data={"pupil_name": "Wrenna"}
    ),
}
