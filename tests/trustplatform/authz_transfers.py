"""Authorisation-matrix rows for safeguarding file transfers (docs/transfers.md).

Only the DSL and the deputies start, see, accept or reject a transfer, and only on the site of
one of its two schools: staff, key holders, governors, the headteacher, the school
administrator, another school's DSL and anonymous visitors are refused.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils import timezone
from django_tenants.utils import schema_context

from tests.authz import Row, actors
from tests.conftest import World
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role
from trustplatform.transfers.services import transfer_accept, transfer_start

LEADS = actors("a:dsl", "a:deputy_dsl")


def _pupil_of_a(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"pupil_id": enrol(first="Tamsin", last="Ockleton", serial=81690).pk}


def _transfer_to_a(world: World) -> Mapping[str, object]:
    """A file waiting to move from school B to school A (the site the matrix asks on)."""
    with schema_context(world.school_b.schema_name):
        pupil = enrol(first="Linus", last="Tregarthen", serial=81691)
        transfer = transfer_start(
            actor=world.person("b", Role.DSL),
            school=world.school_b,
            pupil=pupil,
            to_school_id=world.school_a.pk,
            moved_on=timezone.localdate(),
        )
    return {"transfer_id": transfer.pk}


def _transferred_out_pupil_of_a(world: World) -> Mapping[str, object]:
    """A pupil of school A whose file has moved to school B."""
    with schema_context(world.school_a.schema_name):
        pupil = enrol(first="Aurelia", last="Penrose", serial=81692)
        transfer = transfer_start(
            actor=world.person("a", Role.DSL),
            school=world.school_a,
            pupil=pupil,
            to_school_id=world.school_b.pk,
            moved_on=timezone.localdate(),
        )
    transfer_accept(
        actor=world.person("b", Role.DSL), school=world.school_b, transfer_id=transfer.pk
    )
    return {"pupil_id": pupil.pk}


SCHOOL_ROWS: dict[str, Row] = {
    "transfers:supplement": Row(allowed=LEADS, kwargs=_transferred_out_pupil_of_a),
    "transfers:list": Row(allowed=LEADS),
    "transfers:start": Row(allowed=LEADS, kwargs=_pupil_of_a),
    "transfers:detail": Row(allowed=LEADS, kwargs=_transfer_to_a),
    "transfers:accept": Row(allowed=LEADS, method="POST", kwargs=_transfer_to_a),
    "transfers:reject": Row(
        allowed=LEADS,
        method="POST",
        data={"reason": "Not on our admissions list."},
        kwargs=_transfer_to_a,
    ),
}
