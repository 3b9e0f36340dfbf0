"""Authorisation-matrix rows for recording concerns, the case pages and the chronology."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from django_tenants.utils import schema_context

from safeguarding.models import Action, ChronologyEntry, Concern
from safeguarding.services.concerns import action_add, concern_record
from tests.authz import Row, actors
from tests.conftest import World
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role

RECORDERS = actors("a:staff", "a:key_holder", "a:deputy_dsl", "a:dsl", "a:headteacher")
LEADS = actors("a:deputy_dsl", "a:dsl", "a:headteacher")
SCREENERS = actors("a:deputy_dsl", "a:dsl")
EVERY_MEMBER = RECORDERS | actors("a:governor", "a:school_admin")


def _concern(world: World, *, allegation: bool = False) -> Concern:
    staff = world.person("a", Role.STAFF)
    return concern_record(
        school=world.school_a,
        author=person(staff, Role.STAFF),
        pupil_ids=[make_pupil("Isaura", "Penhallow").pk],
        category_ids=category_ids("allegation-staff" if allegation else "neglect"),
        account="Came in without a coat again.",
        adult_name="Mr Invented Adult" if allegation else "",
    )


def concern_kwargs(*, allegation: bool = False) -> Callable[[World], Mapping[str, object]]:
    def kwargs(world: World) -> Mapping[str, object]:
        with schema_context(world.school_a.schema_name):
            return {"concern_id": _concern(world, allegation=allegation).pk}

    return kwargs


def action_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        concern = _concern(world)
        action: Action = action_add(
            concern=concern,
            actor=person(world.person("a", Role.DSL), Role.DSL),
            kind=Action.Kind.PARENTS_INFORMED,
        )
        return {"concern_id": concern.pk, "action_id": action.pk}


def pupil_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"pupil_id": make_pupil("Odalys", "Fenwright").pk}


def entry_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"entry_id": ChronologyEntry.objects.get(concern=_concern(world)).pk}


SCHOOL_ROWS: dict[str, Row] = {
    "safeguarding:concern_new": Row(allowed=RECORDERS),
    "safeguarding:my_concerns": Row(allowed=RECORDERS),
    # Operation Encompass: typed in by the key adult only, the DSL or a deputy.
    "safeguarding:encompass_new": Row(allowed=SCREENERS),
    # The receipt is the author's alone: everyone else gets the same 404 as for no concern.
    "safeguarding:concern_receipt": Row(allowed=actors("a:staff"), kwargs=concern_kwargs()),
    "safeguarding:alerts": Row(allowed=EVERY_MEMBER),
    "safeguarding:concern_inbox": Row(allowed=LEADS | actors("a:key_holder")),
    # A key holder without a grant for this category sees no such concern.
    "safeguarding:concern_detail": Row(allowed=LEADS, kwargs=concern_kwargs()),
    "safeguarding:concern_correct": Row(allowed=SCREENERS, kwargs=concern_kwargs()),
    "safeguarding:concern_printed": Row(allowed=LEADS, method="POST", kwargs=concern_kwargs()),
    "safeguarding:concern_screen": Row(
        allowed=SCREENERS,
        method="POST",
        data={"level": "low", "rationale": "One-off"},
        kwargs=concern_kwargs(),
    ),
    "safeguarding:action_add": Row(
        allowed=LEADS, method="POST", data={"kind": "parents_informed"}, kwargs=concern_kwargs()
    ),
    "safeguarding:action_complete": Row(
        allowed=LEADS, method="POST", data={"outcome": "Spoke to mum"}, kwargs=action_kwargs
    ),
    "safeguarding:concern_status": Row(
        allowed=LEADS, method="POST", data={"status": "open"}, kwargs=concern_kwargs()
    ),
    # Allegations against staff: the DSL and headteacher only (and a case manager named for
    # one about the headteacher: tests/safeguarding/test_allegations.py).
    "safeguarding:allegation_update": Row(
        allowed=actors("a:dsl", "a:headteacher"),
        method="POST",
        data={"outcome": "unfounded"},
        kwargs=concern_kwargs(allegation=True),
    ),
    "safeguarding:allegation_detail": Row(
        allowed=actors("a:dsl", "a:headteacher"), kwargs=concern_kwargs(allegation=True)
    ),
    # The DSL names the case manager for allegations about the headteacher: never the head.
    "safeguarding:allegation_case_manager": Row(allowed=actors("a:dsl")),
    "safeguarding:pupil_chronology": Row(allowed=LEADS, kwargs=pupil_kwargs),
    "safeguarding:chronology_printed": Row(allowed=LEADS, method="POST", kwargs=pupil_kwargs),
    "safeguarding:contact_add": Row(
        allowed=LEADS, method="POST", data={"kind": "meeting"}, kwargs=pupil_kwargs
    ),
    # A key holder, even with grants, records no note: the case is the DSL's and the leads'.
    "safeguarding:note_add": Row(allowed=LEADS, kwargs=pupil_kwargs),
    "safeguarding:child_informed_add": Row(
        allowed=LEADS, method="POST", data={"told_by": "DSL"}, kwargs=pupil_kwargs
    ),
    "safeguarding:entry_correct": Row(
        allowed=SCREENERS,
        method="POST",
        data={"body": "Corrected", "reason": "Typo"},
        kwargs=entry_kwargs,
    ),
}

__all__ = ["SCHOOL_ROWS"]


def _category_kwargs(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"category_id": category_ids("bullying")[0]}


SCHOOL_ROWS |= {
    "safeguarding:category_list": Row(allowed=actors("a:dsl")),
    "safeguarding:category_add": Row(allowed=actors("a:dsl")),
    "safeguarding:category_edit": Row(allowed=actors("a:dsl"), kwargs=_category_kwargs),
    "safeguarding:category_retire": Row(
        allowed=actors("a:dsl"), method="POST", kwargs=_category_kwargs
    ),
}
