"""Fixtures of the fault tests: private servers (tests/faults/servers.py), the web under gunicorn
and Celery workers, all on the test database of the private PostgreSQL.

Run with `make test-faults`, which loads tests/faults/plugin.py first; every test here is marked
`faults`, which the default run (`make test`) leaves out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPRedirectHandler, Request, build_opener

import pytest
from django.conf import settings
from django.db import connections

from tenants.models import School
from tests.conftest import host_of
from tests.faults import plugin
from tests.faults.servers import (
    PgBouncer,
    Process,
    SmtpServer,
    free_port,
    gunicorn,
    port_open,
    wait_until,
)

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="session")
def servers(django_db_setup: None) -> plugin.Servers:
    """The private PostgreSQL and Redis the whole run uses (started by tests/faults/plugin.py)."""
    if not os.environ.get(plugin.ACTIVE_FLAG):
        pytest.fail("The fault tests start their own servers: run them with `make test-faults`.")
    return plugin.SERVERS


@pytest.fixture(scope="session")
def test_database_url(servers: plugin.Servers) -> str:
    """The test database (made by pytest-django) on the private server, for other processes."""
    return servers.postgres.url(str(settings.DATABASES["default"]["NAME"]))


@pytest.fixture(scope="session")
def app_env(servers: plugin.Servers, test_database_url: str) -> dict[str, str]:
    """The environment of a web or worker process serving the test database."""
    return {
        "DJANGO_SETTINGS_MODULE": "trustplatform.settings",
        "DATABASE_URL": test_database_url,
        "REDIS_URL": servers.redis.url(0),
        "SCHOOL_DOCUMENTS_ROOT": str(Path(servers.postgres.folder.parent) / "faults-documents"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def pgbouncer(servers: plugin.Servers) -> Iterator[PgBouncer]:
    bouncer = PgBouncer(servers.postgres).start()
    yield bouncer
    bouncer.remove()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@dataclass
class Web:
    """The product under gunicorn on 127.0.0.1, reached with a school's Host header."""

    port: int
    process: Process

    def host(self, school: School | None) -> str:
        return f"{host_of(school)}:{self.port}"


@pytest.fixture(scope="session")
def web(
    world: object, app_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Web]:
    port = free_port()
    log = tmp_path_factory.mktemp("web") / "gunicorn.log"
    # The test process's own connections stay out of the way of the server's.
    connections.close_all()
    process = gunicorn(log, app_env | {"SITE_PORT": str(port)}, port=port).start()
    try:
        wait_until(lambda: port_open(port), 60, "gunicorn listening")
        yield Web(port=port, process=process)
    finally:
        process.stop()


@dataclass
class Reply:
    status: int
    text: str
    cookies: dict[str, str]


def http(
    web: Web,
    school: School | None,
    path: str,
    *,
    cookies: dict[str, str],
    form: dict[str, object] | None = None,
    timeout: float = 30,
) -> Reply:
    """One request over real HTTP, as a browser on the school's site sends it (no redirects)."""
    headers = {
        "Host": web.host(school),
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
    }
    data = None
    if form is not None:
        data = urlencode(form, doseq=True).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"http://{web.host(school)}{path}"
    request = Request(f"http://127.0.0.1:{web.port}{path}", data=data, headers=headers)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return Reply(response.status, response.read().decode(), _cookies(response.headers))
    except HTTPError as error:
        return Reply(error.code, error.read().decode(errors="replace"), _cookies(error.headers))
    except (URLError, ConnectionError, TimeoutError) as error:
        return Reply(0, f"{type(error).__name__}", {})


def _cookies(headers: object) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for value in getattr(headers, "get_all", lambda _: [])("Set-Cookie") or []:
        jar.load(value)
    return {name: morsel.value for name, morsel in jar.items()}


class _NoRedirect(HTTPRedirectHandler):
    # A redirect is the answer under test (a saved concern redirects to its receipt).
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = build_opener(_NoRedirect)


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_of(page: str) -> str:
    found = CSRF_FIELD.search(page)
    assert found, "the form carries no CSRF token"
    return found.group(1)
