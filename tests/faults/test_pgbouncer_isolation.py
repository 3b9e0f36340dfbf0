"""The cross-school isolation tests pass with PgBouncer in session mode between the product and
PostgreSQL, as production pools its connections: a pooled server connection handed to the next
client never carries the last school's search_path over (settings.py, CONN_MAX_AGE)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.faults import plugin
from tests.faults.servers import PROJECT_ROOT, PgBouncer

ISOLATION_TESTS = [
    "tests/safeguarding/test_isolation.py",
    "tests/trustplatform/test_isolation_requests.py",
]
RUN_SECONDS = 150


def test_the_isolation_tests_pass_through_pgbouncer_in_session_mode(
    servers: plugin.Servers, pgbouncer: PgBouncer
) -> None:
    env = os.environ | {
        "DATABASE_URL": pgbouncer.url("isolation"),
        "REDIS_URL": servers.redis.url(1),
        # Connections kept open across requests, so that they are the pool's to reuse.
        "CONN_MAX_AGE": "60",
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            # The test database stays: PgBouncer keeps server connections to it open, which
            # DROP DATABASE would refuse.
            "--reuse-db",
            *ISOLATION_TESTS,
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
    # The tests have ended; the connections PgBouncer pooled for them are still open.
    clients = servers.postgres.psql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'test_isolation'"
    )
    assert int(clients) >= 1, "the tests did not go through PgBouncer's pool"
