"""Authorisation-matrix rows for the school calendar (school sites) and trust term dates (root).

Dates only, no child data: governors and the school administrator see the calendar without
two-factor; changing it moves every deadline of the school, so that needs two-factor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from tests.authz import Row, actors
from tests.conftest import World
from trustplatform.schooldays.models import ClosureDay, Term

VIEWERS = actors("a:deputy_dsl", "a:dsl", "a:headteacher", "a:governor", "a:school_admin")
EDITORS = actors("a:dsl", "a:school_admin")
# The school administrator in the shared world has no two-factor: they are sent to set it up.
EDITORS_WITH_TWO_FACTOR = EDITORS - {"a:school_admin"}


def _term_kwargs(world: World) -> Mapping[str, object]:
    term, _ = Term.objects.get_or_create(
        school=world.school_a,
        academic_year=2030,
        name=Term.Name.AUTUMN,
        defaults={"first_day": dt.date(2030, 9, 2), "last_day": dt.date(2030, 12, 20)},
    )
    return {"term_id": term.pk}


def _closure_kwargs(world: World) -> Mapping[str, object]:
    closure, _ = ClosureDay.objects.get_or_create(
        school=world.school_a, day=dt.date(2030, 9, 2), defaults={"reason": "INSET day"}
    )
    return {"closure_id": closure.pk}


def _editors_row(**extra: object) -> Row:
    return Row(
        allowed=EDITORS_WITH_TWO_FACTOR,
        two_factor_first=actors("a:school_admin"),
        **extra,  # type: ignore[arg-type]
    )


SCHOOL_ROWS: dict[str, Row] = {
    "schooldays:calendar": Row(allowed=VIEWERS),
    "schooldays:term_new": _editors_row(),
    "schooldays:term_edit": _editors_row(kwargs=_term_kwargs),
    "schooldays:term_remove": _editors_row(kwargs=_term_kwargs, method="POST"),
    "schooldays:closure_add": _editors_row(),
    "schooldays:closure_remove": _editors_row(kwargs=_closure_kwargs, method="POST"),
    "schooldays:day_start": _editors_row(),
}

ROOT_ROWS: dict[str, Row] = {
    # Each trust's admin sets the terms of their own trust's schools.
    "trust_schooldays:terms": Row(allowed=actors("trust:trust_admin", "other_trust:trust_admin")),
}
