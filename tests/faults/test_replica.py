"""Trust statistics read from a streaming standby while every write goes to the primary.

The primary is the fault tests' own PostgreSQL (never the machine's), whose test database is
migrated already; the test makes a standby of it (pg_basebackup) on a port of its own. The product
runs against both in a process of its own (replica_reads_check.py), with DATABASE_URL naming the
primary and DATABASE_REPLICA_URL the standby, and a Redis database no worker reads (nothing
refreshes the statistics under it). While the standby's replay is paused, the
statistics still show the figure from before the primary's last write: they were read on the
standby. Once replay resumes, the new figure appears.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connections

from tests.faults import plugin
from tests.faults.servers import PROJECT_ROOT, PostgresServer, standby_of

RUN_SECONDS = 120
# No worker reads this Redis database.
UNREAD_REDIS_DB = 9


@pytest.fixture
def standby(servers: plugin.Servers) -> Iterator[PostgresServer]:
    connections.close_all()
    server = standby_of(servers.postgres)
    yield server
    server.remove()


def test_statistics_read_from_the_standby_and_writes_go_to_the_primary(
    servers: plugin.Servers, test_database_url: str, standby: PostgresServer
) -> None:
    env = os.environ | {
        "DATABASE_URL": test_database_url,
        "DATABASE_REPLICA_URL": standby.url(str(settings.DATABASES["default"]["NAME"])),
        "REDIS_URL": servers.redis.url(UNREAD_REDIS_DB),
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
    }
    run = subprocess.run(
        [sys.executable, "-m", "tests.faults.replica_reads_check"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])

    assert seen["replica_port"] == standby.port
    assert seen["replica_in_recovery"] is True
    assert seen["concerns_before"] == "40"
    # The primary holds 50; the standby, replaying nothing, still 40: the page read the standby.
    assert seen["concerns_on_primary"] == 50
    assert seen["concerns_replay_paused"] == "40"
    assert seen["statistics_queries_on_replica"] > 0
    # Inside a transaction, the primary: a transaction reads what it writes.
    assert seen["concerns_in_a_transaction"] == "50"
    assert seen["concerns_replay_resumed"] == "50"
    # The school's own table read on the standby, in the school's search_path.
    assert seen["pupils_read_on_replica"] == 1
    assert seen["pupils_iterated_on_replica"] == 1
    assert seen["replica_search_path"].startswith("school_larchmere")
    assert seen["pupil_queries_on_replica"] > 0
    assert seen["queries_on_replica_outside"] == 0
