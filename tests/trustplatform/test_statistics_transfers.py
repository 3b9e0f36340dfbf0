"""A concern moved with a child's file to another school of the trust is counted once, in the
school where it was raised (docs/rules.md, "Trust statistics")."""

from __future__ import annotations

from pathlib import Path

from django.db.models import Sum
from django_tenants.utils import schema_context

from safeguarding.models import Pupil
from safeguarding.services.concerns import concern_record
from tenants.models import School
from tests.conftest import World
from tests.safeguarding.conftest import category_ids
from tests.trustplatform.test_transfers import a_file, documents_root, person_of, start
from trustplatform.accounts.models import Role
from trustplatform.statistics.models import (
    CategoryRollup,
    ConcernRollup,
    TrustCategoryRollup,
    TrustConcernRollup,
)
from trustplatform.statistics.services import statistics_rebuild
from trustplatform.transfers.services import transfer_accept

__all__ = ["documents_root"]  # the fixture, used by name

SERIAL = 82810


def concerns_of(**where: object) -> int:
    return ConcernRollup.objects.filter(**where).aggregate(n=Sum("concerns"))["n"] or 0


def test_a_transferred_concern_counts_once_in_the_school_that_raised_it(
    world: World, school_a: School, documents_root: Path
) -> None:
    pupil = a_file(world, school_a, serial=SERIAL)
    transfer = start(world, pupil)
    with schema_context(world.school_b.schema_name):
        transfer_accept(
            actor=world.person("b", Role.DSL), school=world.school_b, transfer_id=transfer.pk
        )
    statistics_rebuild(schools=[world.school_a, world.school_b])

    assert concerns_of(school=world.school_a) == 1
    assert concerns_of(school=world.school_b) == 0
    trust = world.school_a.trust
    assert TrustConcernRollup.objects.filter(trust=trust).aggregate(n=Sum("concerns"))["n"] == 1
    assert CategoryRollup.objects.filter(school=world.school_b).count() == 0
    assert TrustCategoryRollup.objects.filter(trust=trust).aggregate(n=Sum("concerns"))["n"] == 1

    # What the receiving school records about the child afterwards is its own, and counts there.
    with schema_context(world.school_b.schema_name):
        arrived = Pupil.objects.get(upn=pupil.upn)
        assert arrived.transferred_in_from == world.school_a.name
        concern_record(
            school=world.school_b,
            author=person_of(world, "b", Role.STAFF),
            pupil_ids=[arrived.pk],
            category_ids=category_ids("neglect"),
            account="Said at registration that nobody was home last night.",
        )
    statistics_rebuild(schools=[world.school_a, world.school_b])
    assert concerns_of(school=world.school_a) == 1
    assert concerns_of(school=world.school_b) == 1
    assert TrustConcernRollup.objects.filter(trust=trust).aggregate(n=Sum("concerns"))["n"] == 2
