"""Authorisation-matrix rows for drafts: the author's own, for the forms they may send.

A signed-out page's script gets a 403 it reads (never the sign-in page): anonymous is DENIED.
"""

from __future__ import annotations

from collections.abc import Mapping

from tests.authz import DENIED, Row
from tests.conftest import World
from tests.safeguarding.authz_concerns import RECORDERS, SCREENERS, concern_kwargs


def _new_concern(world: World) -> Mapping[str, object]:
    return {"form": "concern", "record_id": 0}


def _screening(world: World) -> Mapping[str, object]:
    return {"form": "screening", "record_id": concern_kwargs()(world)["concern_id"]}


SCHOOL_ROWS: dict[str, Row] = {
    "safeguarding:draft": Row(allowed=RECORDERS, kwargs=_new_concern, anonymous=DENIED),
    "safeguarding:draft_discard": Row(
        allowed=SCREENERS, method="POST", kwargs=_screening, anonymous=DENIED
    ),
}
