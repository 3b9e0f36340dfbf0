"""/readyz: ready while PostgreSQL answers, whatever else is down; not ready when it does not."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from django.db import connection
from django.test import Client

from tenants.models import School
from tenants.services import school_suspend
from tests.conftest import school_client

PROJECT = Path(__file__).resolve().parents[2]

# Asks /readyz of a fresh process whose settings name the given database and Redis.
PROBE = """
import django
django.setup()
from django.test import Client
response = Client(HTTP_HOST="localhost").get("/readyz")
print(response.status_code, response.content.decode())
"""


def _closed_port() -> int:
    """A port the OS handed out and that nothing listens on any more."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _test_database_url() -> str:
    """The database this test run uses (pytest-django's test database), whatever DATABASE_URL
    names: the probe must find a database that exists."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _probe(**env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=PROJECT,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": "trustplatform.settings"} | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_readyz_answers_on_the_root_and_on_a_suspended_school(school_a: School) -> None:
    # A copy: the session's own School object stays active for the tests that follow.
    school_suspend(school=School.objects.get(pk=school_a.pk))
    for client in (Client(HTTP_HOST="localhost"), school_client(school_a)):
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok"}
        assert "no-store" in response["Cache-Control"]


def test_readyz_is_503_when_postgresql_does_not_answer() -> None:
    port = _closed_port()

    answer = _probe(DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/nowhere")

    assert answer == '503 {"status": "error", "database": "unreachable"}'


def test_readyz_stays_ready_when_redis_does_not_answer() -> None:
    port = _closed_port()

    answer = _probe(DATABASE_URL=_test_database_url(), REDIS_URL=f"redis://127.0.0.1:{port}/0")

    assert answer == '200 {"status": "ok", "database": "ok"}'
