"""Fixtures of the fault tests: private servers (tests/faults/servers.py), the web under gunicorn
and Celery workers, all on the test database of the private PostgreSQL.

Run with `make test-faults`, which loads tests/faults/plugin.py first; every test here is marked
`faults`, which the default run (`make test`) leaves out.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import Pupil
from tenants.db import OWNER_ALIAS
from tenants.models import School
from tests.conftest import World, host_of, signed_in_cookie
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
from tests.safeguarding.conftest import category_ids
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role

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


def _as_role(url: str, role: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}").geturl()


@pytest.fixture(scope="session")
def app_env(servers: plugin.Servers, test_database_url: str) -> dict[str, str]:
    """The environment of a web or worker process serving the test database, as production's
    processes connect: as the application role, with the owner's URL beside it (the private
    server trusts both; tests/conftest.py made them)."""
    return {
        "DJANGO_SETTINGS_MODULE": "trustplatform.settings",
        "DATABASE_URL": _as_role(test_database_url, str(settings.DATABASES["default"]["USER"])),
        "DATABASE_OWNER_URL": _as_role(
            test_database_url, str(settings.DATABASES[OWNER_ALIAS]["USER"])
        ),
        "REDIS_URL": servers.redis.url(0),
        # Removed with the private server's folder at the end of the run.
        "SCHOOL_DOCUMENTS_ROOT": str(servers.postgres.folder / "documents"),
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


@dataclass
class Recorder:
    """A member of staff of a school, signed in, with a concern form filled in about `pupil`."""

    pupil: Pupil
    cookies: dict[str, str]
    form: dict[str, object]


def staff_recorder(world: World, school: School, first: str, last: str) -> Recorder:
    """A new pupil and the school's member of staff, committed: call it with the database
    unblocked, outside a test transaction, so that the web process sees them."""
    with schema_context(school.schema_name):
        pupil = enrol(first=first, last=last)
        categories = [str(c) for c in category_ids("physical-abuse")]
    place = "a" if school.pk == world.school_a.pk else "b"
    name, value = signed_in_cookie(world.person(place, Role.STAFF), school).split("=", 1)
    connections.close_all()
    form: dict[str, object] = {
        "pupils": [str(pupil.pk)],
        "categories": categories,
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "location": "Corridor",
    }
    return Recorder(pupil=pupil, cookies={name: value}, form=form)


def record_concern(
    web: Web, school: School, cookies: dict[str, str], form: dict[str, object]
) -> tuple[str, Reply]:
    """A member of staff opens the concern form and sends it; the account starts with a token
    of its own, returned with the answer ("" when the form did not open)."""
    page = http(web, school, "/concerns/new/", cookies=cookies)
    if page.status != 200:
        return "", page
    token = f"Token {uuid.uuid4().hex}"
    reply = http(
        web,
        school,
        "/concerns/new/",
        cookies=cookies | page.cookies,
        form=form
        | {"account": f"{token}: a bruise on the arm.", "csrfmiddlewaretoken": csrf_of(page.text)},
    )
    return token, reply


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_of(page: str) -> str:
    found = CSRF_FIELD.search(page)
    assert found, "the form carries no CSRF token"
    return found.group(1)
