"""The throwaway database every benchmark runs against, and the project on the import path.

A script here runs as `python bench/<script>.py`, so only bench/ is on the path: importing this
module (a sibling) puts the project root there too. The project's packages are imported later,
once Django is set up, which `bench_database` does against a database of the script's own on the
server named by DATABASE_URL (or the embedded development server when DATABASE_URL is unset),
dropped again at the end.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import django
import psycopg2

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustplatform.settings")
# The settings refuse to start without it; a benchmark runs the development settings.
os.environ.setdefault("ENVIRONMENT", "development")
# One INFO line per created school or pupil would bury the figures.
os.environ.setdefault("LOG_LEVEL", "WARNING")


@contextlib.contextmanager
def bench_database(name: str) -> Iterator[None]:
    """Django set up on a new, migrated database `name`, dropped when the block ends.

    Any database of that name left by an interrupted run is dropped first. BENCH_DATABASE_SUFFIX,
    when set, is appended to the name, so that two checkouts benchmarking on one server at the same
    time do not drop each other's database.
    """
    name += os.environ.get("BENCH_DATABASE_SUFFIX", "")
    admin_url = _server_url()
    _database_create(admin_url, name)
    # Before django.setup(): the settings read DATABASE_URL once, when they are loaded.
    os.environ["DATABASE_URL"] = _with_database(admin_url, name)
    try:
        django.setup()
        from django.core.management import call_command  # noqa: PLC0415  (needs Django set up)

        # Migrates the public schema and builds the template schema that schools are cloned from.
        call_command("migrate", interactive=False, verbosity=0)
        yield
    finally:
        from django.db import connections  # noqa: PLC0415

        # Our own connections first, or the database would still be in use.
        connections.close_all()
        _database_drop(admin_url, name)


def _server_url() -> str:
    """The URL of the server to benchmark on; the database it names is only used to connect."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return url
    # Same fallback as the settings: the embedded development server kept in .data/, as its
    # owner role, which may create databases (the benchmark then runs with that one role).
    from trustplatform.embedded_postgres import (  # noqa: PLC0415
        EMBEDDED_OWNER_ROLE,
        embedded_database_url,
    )

    return embedded_database_url(PROJECT_ROOT / ".data", role=EMBEDDED_OWNER_ROLE)


def _with_database(url: str, name: str) -> str:
    # Keeps the query string: the embedded server is reached through ?host=<socket dir>.
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _database_drop(admin_url: str, name: str) -> None:
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True  # DROP/CREATE DATABASE cannot run inside a transaction
    try:
        with conn.cursor() as cursor:
            # FORCE: a connection left over by an interrupted run must not keep the database alive.
            force = " WITH (FORCE)" if conn.server_version >= 130000 else ""
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"{force}')
    finally:
        conn.close()


def _database_create(admin_url: str, name: str) -> None:
    _database_drop(admin_url, name)
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
