"""Starts the fault tests' private PostgreSQL and Redis before Django reads its settings.

Loaded with `-p tests.faults.plugin` (`make test-faults`): the settings read DATABASE_URL and
REDIS_URL once, when Django is set up, which pytest-django does before any conftest's fixture
could change them. The servers stop when the run ends.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.faults.servers import PostgresServer, RedisServer

DATABASE = "faults"


class Servers:
    postgres: PostgresServer
    redis: RedisServer


SERVERS = Servers()
ACTIVE_FLAG = "FAULT_TESTS_PRIVATE_SERVERS"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: Any, parser: Any, args: list[str]) -> None:
    SERVERS.postgres = PostgresServer().start()
    SERVERS.postgres.psql(f"CREATE DATABASE {DATABASE}")
    SERVERS.redis = RedisServer().start()
    os.environ["DATABASE_URL"] = SERVERS.postgres.url(DATABASE)
    os.environ["REDIS_URL"] = SERVERS.redis.url(0)
    os.environ[ACTIVE_FLAG] = "1"


def pytest_unconfigure(config: Any) -> None:
    if getattr(SERVERS, "postgres", None) is not None:
        SERVERS.redis.remove()
        SERVERS.postgres.remove()
