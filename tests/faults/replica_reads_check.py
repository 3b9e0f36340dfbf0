"""Run by test_replica.py in a process of its own, against a primary and its streaming standby.

The settings read DATABASE_URL and DATABASE_REPLICA_URL once, when Django starts, so this runs
apart from the test process. On the fault tests' migrated test database it makes a school of its
own, watches where the statistics and the school's reads go while the standby's replay is paused
and after it resumes, and removes the school again; it prints what it saw as one JSON object for
the test to judge.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustplatform.settings")
django.setup()

from django.db import connection, connections, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from safeguarding.models import Pupil  # noqa: E402
from tenants.db import school_connection  # noqa: E402
from tenants.replica import REPLICA, replica_reads  # noqa: E402
from tenants.services import school_create, trust_create  # noqa: E402
from tests.safeguarding.fixtures import enrol  # noqa: E402
from trustplatform.statistics.charts import cell_text  # noqa: E402
from trustplatform.statistics.models import CategoryRollup, ConcernRollup  # noqa: E402
from trustplatform.statistics.selectors import LONDON, school_statistics  # noqa: E402

REPLAY_SECONDS = 30


def _on_replica(sql: str) -> Any:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def _replayed() -> None:
    """Waits until the standby has replayed everything the primary has written so far.

    The insert position, not the write position: the fault tests' servers commit without waiting
    for the WAL to reach the disk (synchronous_commit=off), so a commit can be ahead of the latter.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + REPLAY_SECONDS
    with connections[REPLICA].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise TimeoutError("the standby did not replay the primary's writes")


def _concerns_this_month(school: Any) -> str:
    stats = school_statistics(school=school)
    months = stats.table("months")
    assert months is not None and months.total is not None
    return cell_text(months.total[1])


def _counts(school: Any, month: dt.date, concerns: int) -> None:
    ConcernRollup.objects.update_or_create(
        school=school, month=month, year_group=7, defaults={"concerns": concerns}
    )
    CategoryRollup.objects.update_or_create(
        school=school,
        month=month,
        category_code="neglect",
        year_group=7,
        defaults={"concerns": concerns},
    )


def main() -> int:
    seen: dict[str, Any] = {}
    trust = trust_create(name="Larchmere Trust", slug="larchmere")
    school = school_create(
        trust=trust, name="Larchmere Primary", slug="larchmere", urn="955001", phase="primary"
    )
    try:
        _observe(seen, school)
    finally:
        school_connection.set_schema_to_public()
        school.delete(force_drop=True)
        trust.delete()
    print(json.dumps(seen))
    return 0


def _observe(seen: dict[str, Any], school: Any) -> None:
    month = dt.datetime.now(LONDON).date().replace(day=1)
    _counts(school, month, 40)
    _replayed()
    seen["replica_port"] = _on_replica("SELECT inet_server_port()")
    seen["replica_in_recovery"] = _on_replica("SELECT pg_is_in_recovery()")
    seen["concerns_before"] = _concerns_this_month(school)

    _on_replica("SELECT pg_wal_replay_pause()")
    # Written while the standby replays nothing: only the primary has the new figure.
    _counts(school, month, 50)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        seen["concerns_replay_paused"] = _concerns_this_month(school)
    seen["statistics_queries_on_replica"] = len(on_replica)
    seen["concerns_on_primary"] = ConcernRollup.objects.get(school=school, month=month).concerns
    with transaction.atomic():
        seen["concerns_in_a_transaction"] = _concerns_this_month(school)
    _on_replica("SELECT pg_wal_replay_resume()")
    _replayed()
    seen["concerns_replay_resumed"] = _concerns_this_month(school)

    # A school's own tables, read on the replica: its search_path follows the school.
    with schema_context(school.schema_name):
        enrol(first="Wren", last="Halloway")
        _replayed()
        with replica_reads(), CaptureQueriesContext(connections[REPLICA]) as on_replica:
            seen["pupils_read_on_replica"] = Pupil.objects.count()
            # As an export reads its entries: a server-side cursor, which the standby must allow.
            seen["pupils_iterated_on_replica"] = sum(
                1 for _ in Pupil.objects.iterator(chunk_size=2)
            )
        seen["replica_search_path"] = _on_replica("SHOW search_path")
        seen["pupil_queries_on_replica"] = len(on_replica)
        # Outside `replica_reads`: the primary, whose pupil list the standby has not been asked.
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            Pupil.objects.count()
        seen["queries_on_replica_outside"] = len(on_replica)


if __name__ == "__main__":
    sys.exit(main())
