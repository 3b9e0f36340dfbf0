"""An embedded PostgreSQL server (the `pgserver` package) for development and tests.

Used only when DATABASE_URL is not set. The data directory lives in `.data/pg` and is kept between
runs, so a second `make demo` finds its schools again. The server stops when the last process that
started it exits; child processes (web, worker, beat) are given its DATABASE_URL instead.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

DATABASE_NAME = "safeguarding"


def embedded_database_url(data_dir: Path) -> str:
    """Starts (or reuses) the embedded server and returns a DATABASE_URL for it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR on servers; it does not matter here.
        warnings.simplefilter("ignore")
        import pgserver  # imported lazily: production never loads it

        server = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    info = server.get_postmaster_info()
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return f"postgres://postgres@/{DATABASE_NAME}?host={info.socket_dir}"


def embedded_database(data_dir: Path, *, engine: str) -> dict[str, Any]:
    import environ

    return environ.Env.db_url_config(embedded_database_url(data_dir), engine=engine)
