"""An embedded PostgreSQL server (the `pgserver` package) for development and tests.

Used only when DATABASE_URL is not set. The data directory lives in `.data/pg` and is kept between
runs, so a second `make demo` finds its schools again. The server stops when the last process that
started it exits; child processes (web, worker, beat) are given its DATABASE_URL instead.

As in production, two roles (docs/security.md, "Database roles"): the database and its tables
belong to EMBEDDED_OWNER_ROLE, which migrates and creates schools; the application connects as
EMBEDDED_APP_ROLE, with the grants of tenants/db_roles.py.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

# The two-role database. (A `safeguarding` database from before the roles, owned by the
# superuser, is left as it was: its tables could not be handed to the owner role.)
DATABASE_NAME = "safeguarding_records"
EMBEDDED_OWNER_ROLE = "safeguarding_owner"
EMBEDDED_APP_ROLE = "safeguarding_app"


def _role_ensure(server: Any, role: str, options: str) -> None:
    server.psql(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '"
        + role
        + "') THEN CREATE ROLE "
        + role
        + " "
        + options
        + "; END IF; END $$;"
    )


def embedded_database_url(data_dir: Path, *, role: str = EMBEDDED_APP_ROLE) -> str:
    """Starts (or reuses) the embedded server and returns a DATABASE_URL for it, as `role`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns about XDG_RUNTIME_DIR on servers; it does not matter here.
        warnings.simplefilter("ignore")
        import pgserver  # imported lazily: production never loads it

        server = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    info = server.get_postmaster_info()
    # The owner creates the test database of `make test` too, hence CREATEDB.
    _role_ensure(server, EMBEDDED_OWNER_ROLE, "LOGIN CREATEDB")
    _role_ensure(server, EMBEDDED_APP_ROLE, "LOGIN")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME} OWNER {EMBEDDED_OWNER_ROLE};")
    return f"postgres://{role}@/{DATABASE_NAME}?host={info.socket_dir}"


def embedded_database(
    data_dir: Path, *, engine: str, role: str = EMBEDDED_APP_ROLE
) -> dict[str, Any]:
    import environ

    return environ.Env.db_url_config(embedded_database_url(data_dir, role=role), engine=engine)
