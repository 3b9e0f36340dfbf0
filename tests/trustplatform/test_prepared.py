"""A prepared query answers as its queryset would, for every value it is run with, and refuses
what it could not put into its SQL as a parameter."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, QuerySet
from django.test.utils import CaptureQueriesContext

from tenants.models import School
from tests.conftest import World
from trustplatform.audit.models import AuditAction, AuditEvent
from trustplatform.audit.services import audit_record
from trustplatform.prepared import Prepared, PreparedQueryError
from trustplatform.statistics.models import TrustMonthRollup

pytestmark = pytest.mark.django_db


def _schools(trust_id: int, ranked: list[int]) -> QuerySet[Any]:
    return (
        School.objects.filter(trust_id=trust_id, pk__in=ranked)
        .values("pk", "name", "snapshot__refreshed_at")
        .annotate(terms=Count("terms"))
        .order_by("pk")
    )


def test_a_prepared_query_gives_the_querysets_rows_for_each_trust_and_list(world: World) -> None:
    prepared = Prepared(_schools, School)
    a, b, c = world.school_a.pk, world.school_b.pk, world.school_c.pk
    cases = [
        (world.trust.pk, [a]),
        (world.trust.pk, [a, b]),
        (world.trust.pk, [b, c]),  # another trust's school is not the trust's
        (world.other_trust.pk, [a, b, c]),
        (world.other_trust.pk, [c]),
        (world.trust.pk, [a]),  # the first shape again, compiled once
    ]
    for trust_id, ranked in cases:
        assert prepared.rows(trust_id=trust_id, ranked=ranked) == list(_schools(trust_id, ranked))
    # Written down, not computed by the code under test:
    assert [r["name"] for r in prepared.rows(trust_id=world.trust.pk, ranked=[b, c])] == [
        "Birchwood Academy"
    ]
    assert prepared.rows(trust_id=world.other_trust.pk, ranked=[a, b]) == []
    assert len(prepared._compiled) == 3  # one per length of the list


def test_dates_are_parameters_of_a_prepared_query(world: World) -> None:
    months = [dt.date(2026, m, 1) for m in range(1, 7)]
    TrustMonthRollup.objects.bulk_create(
        TrustMonthRollup(trust=world.trust, month=m, schools_hiding_concerns=n)
        for n, m in enumerate(months)
    )
    prepared = Prepared(
        lambda trust_id, first, last: (
            TrustMonthRollup.objects.filter(trust_id=trust_id, month__range=(first, last))
            .values("month", "schools_hiding_concerns")
            .order_by("month")
        ),
        TrustMonthRollup,
    )
    rows = prepared.rows(trust_id=world.trust.pk, first=months[1], last=months[3])
    assert rows == [
        {"month": dt.date(2026, 2, 1), "schools_hiding_concerns": 1},
        {"month": dt.date(2026, 3, 1), "schools_hiding_concerns": 2},
        {"month": dt.date(2026, 4, 1), "schools_hiding_concerns": 3},
    ]
    assert prepared.rows(trust_id=world.trust.pk, first=months[5], last=months[5]) == [
        {"month": dt.date(2026, 6, 1), "schools_hiding_concerns": 5}
    ]
    assert prepared.rows(trust_id=world.other_trust.pk, first=months[0], last=months[5]) == []


def test_the_orms_converters_are_applied(world: World) -> None:
    audit_record(
        action=AuditAction.USER_DISABLED,
        trust=world.other_trust,
        target_type="user",
        target_id=7,
        data={"role": "dsl", "ids": [1, 2]},
    )

    def build(trust_id: int) -> QuerySet[Any]:
        return AuditEvent.objects.filter(trust_id=trust_id).values("data", "action").order_by("pk")

    rows = Prepared(build, AuditEvent).rows(trust_id=world.other_trust.pk)
    assert rows[-1] == {"data": {"role": "dsl", "ids": [1, 2]}, "action": AuditAction.USER_DISABLED}
    assert rows == list(build(world.other_trust.pk))


def test_a_value_that_does_not_reach_the_sql_as_a_parameter_is_refused(world: World) -> None:
    ignoring = Prepared(
        lambda trust_id, school_id: School.objects.filter(trust_id=trust_id).values("pk"), School
    )
    with pytest.raises(PreparedQueryError, match="school_id"):
        ignoring.rows(trust_id=world.trust.pk, school_id=world.school_a.pk)
    by_name = Prepared(lambda name: School.objects.filter(name=name).values("pk"), School)
    with pytest.raises(PreparedQueryError, match="an int, a date or a list of ints"):
        by_name.rows(name="Alder Lane Primary'; DROP TABLE tenants_school; --")
    flagged = Prepared(lambda active: School.objects.filter(pk=1).values("pk"), School)
    with pytest.raises(PreparedQueryError, match="boolean"):
        flagged.rows(active=True)
    assert School.objects.filter(pk=world.school_a.pk).exists()


def test_a_locking_query_keeps_its_lock_and_a_query_with_no_values_runs(world: World) -> None:
    """A pupil's row is locked before each record of them is written (by a prepared query, made
    `writing`): the lock must survive the preparation. A chain's head is read by one with no
    values at all."""
    locking = Prepared(
        lambda ids: (
            School.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("name")
        ),
        School,
        writing=True,
    )
    with CaptureQueriesContext(connection) as queries:
        rows = locking.rows(ids=[world.school_b.pk, world.school_a.pk])
    assert rows == [{"name": world.school_a.name}, {"name": world.school_b.name}]
    assert queries.captured_queries[-1]["sql"].endswith("FOR UPDATE")
    newest = Prepared(lambda: School.objects.order_by("-pk").values("name")[:1], School)
    assert newest.rows() == [{"name": School.objects.order_by("-pk").first().name}]
