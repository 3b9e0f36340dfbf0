"""Authorisation-matrix rows for files sent to schools outside the trust (docs/transfers.md).

Only the school's DSL and deputies (Capability.TRANSFER_FILES): the headteacher, who reads every
record, key holders, staff, governors, the administrator and other schools' DSLs are refused.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import ExportJob, OutsideTransfer
from tests.authz import Row, actors
from tests.conftest import World
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role
from trustplatform.hashchain import GENESIS_HASH

LEADS = actors("a:dsl", "a:deputy_dsl")


def _pupil_of_a(world: World) -> Mapping[str, object]:
    with schema_context(world.school_a.schema_name):
        return {"pupil_id": enrol(first="Morwenna", last="Chenoweth", serial=82400).pk}


def _transfer_of_a(world: World) -> Mapping[str, object]:
    """A package asked for by school A's DSL; no PDF is made (the jobs stay queued)."""
    dsl = world.person("a", Role.DSL)
    with schema_context(world.school_a.schema_name):
        pupil = enrol(first="Jago", last="Polglase", serial=82401)
        jobs = [
            ExportJob.objects.create(
                pupil=pupil,
                version=version,
                requested_by_id=dsl.pk,
                requested_by_name=dsl.full_name,
                requested_by_role=str(Role.DSL),
                chain_head=GENESIS_HASH,
            )
            for version in (ExportJob.Version.PACKAGE, ExportJob.Version.PRINTABLE)
        ]
        transfer = OutsideTransfer.objects.create(
            pupil=pupil,
            receiving_school="St Brannoc's Academy",
            moved_on=timezone.localdate(),
            due_at=timezone.now(),
            package=jobs[0],
            printable=jobs[1],
            password_hash="!",
            started_by_id=dsl.pk,
            started_by_name=dsl.full_name,
            started_by_role=str(Role.DSL),
        )
    return {"transfer_id": transfer.pk}


SCHOOL_ROWS: dict[str, Row] = {
    "safeguarding:outside_transfer_start": Row(allowed=LEADS, kwargs=_pupil_of_a),
    "safeguarding:outside_transfer_detail": Row(allowed=LEADS, kwargs=_transfer_of_a),
    "safeguarding:outside_transfer_sent": Row(allowed=LEADS, method="POST", kwargs=_transfer_of_a),
    "safeguarding:outside_transfer_receipt": Row(
        allowed=LEADS, method="POST", kwargs=_transfer_of_a
    ),
}

__all__ = ["SCHOOL_ROWS"]
