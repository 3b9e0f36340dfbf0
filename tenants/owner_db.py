"""A connection as the database's owner role, for the few operations the application's role must
not be able to do (lawful destruction: docs/rules.md, "Retention").

DATABASE_OWNER_URL names the owner role (DATABASE_URL's role when unset), read the same way as
`tenants.backups.owner_database`; this module stands apart so that school-schema code can reach
the owner without importing the backups' cross-school code.
"""

from __future__ import annotations

import os
from typing import Any

import environ
import psycopg2
import psycopg2.extensions
from django.conf import settings
from django.db import connection


def owner_connect() -> psycopg2.extensions.connection:
    """A new connection as the owner role to the database the app is using now (a test run's
    own database included); the caller closes it."""
    url = os.environ.get("DATABASE_OWNER_URL", "") or getattr(settings, "DATABASE_OWNER_URL", "")
    base: dict[str, Any] = (
        environ.Env.db_url_config(url) if url else dict(settings.DATABASES["default"])
    )
    params = {
        "dbname": str(connection.settings_dict["NAME"]),
        "user": str(base.get("USER") or ""),
        "password": str(base.get("PASSWORD") or ""),
        # The embedded server of development gives its socket folder as an option.
        "host": str(base.get("HOST") or base.get("OPTIONS", {}).get("host") or ""),
        "port": str(base.get("PORT") or ""),
    }
    conn = psycopg2.connect(**{key: value for key, value in params.items() if value})
    conn.set_client_encoding("UTF8")
    return conn
