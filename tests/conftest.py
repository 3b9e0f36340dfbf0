"""Shared fixtures: a trust with two schools, a school of another trust, made through services.

The schools are created once per test session (committed, from the template schema); each test
runs in a transaction that is rolled back, so rows a test writes in any school's schema vanish.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.test import Client
from django.test.testcases import LiveServerThread
from django.test.utils import setup_databases, teardown_databases

from tenants.db import school_connection
from tenants.models import School, Trust
from tenants.services import school_create, school_domain_name, trust_create


@dataclass(frozen=True)
class World:
    trust: Trust
    school_a: School
    school_b: School
    other_trust: Trust
    school_c: School


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_keepdb: bool,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """The test database, always: also for runs whose tests only talk to the HTTP server.

    pytest-django sets up a database only when a collected test asks for the `db` fixture; a run
    of browser tests alone would otherwise find no tables.
    """
    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            keepdb=django_db_keepdb,
            aliases={"default": {}},  # the stubs say Mapping; Django iterates the keys
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=request.config.option.verbose)


@pytest.fixture(scope="session")
def world(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> World:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        trust = trust_create(name="Northwood Learning Trust", slug="northwood")
        other = trust_create(name="Eastmere Schools Trust", slug="eastmere")
        return World(
            trust=trust,
            school_a=school_create(
                trust=trust,
                name="Alder Lane Primary",
                slug="alder",
                urn="900001",
                phase=School.Phase.PRIMARY,
            ),
            school_b=school_create(
                trust=trust,
                name="Birchwood Academy",
                slug="birchwood",
                urn="900002",
                phase=School.Phase.SECONDARY,
            ),
            other_trust=other,
            school_c=school_create(
                trust=other,
                name="Cedar Bank School",
                slug="cedarbank",
                urn="900003",
                phase=School.Phase.PRIMARY,
            ),
        )


@pytest.fixture
def school_a(world: World, db: None) -> School:
    return world.school_a


@pytest.fixture
def school_b(world: World, db: None) -> School:
    return world.school_b


@pytest.fixture
def school_c(world: World, db: None) -> School:
    return world.school_c


def host_of(school: School) -> str:
    return school_domain_name(school.slug)


def school_client(school: School) -> Client:
    """A test client whose requests go to the school's own subdomain."""
    return Client(HTTP_HOST=host_of(school))


@pytest.fixture(autouse=True)
def _public_schema_after_each_test() -> Iterator[None]:
    # A test that enters a school must not leak its search_path into the next test.
    yield
    school_connection.set_schema_to_public()


@pytest.fixture(scope="session")
def server_url(world: World, django_db_blocker: pytest.FixtureRequest) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving the test database, for browser and HTTP tests.

    pytest-django's live_server flushes tables after each test, which would also empty the public
    schema's school rows; this server leaves data alone. Tests that use it write what they need
    through services, commit it, and remove it again.
    """
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        thread = LiveServerThread("127.0.0.1", StaticFilesHandler)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        yield f"http://127.0.0.1:{thread.port}"
        thread.terminate()


def school_url(server_url: str, school: School, path: str = "/") -> str:
    """The URL of a page on the school's subdomain (Chromium resolves *.localhost itself)."""
    port = server_url.rsplit(":", 1)[1]
    return f"http://{host_of(school)}:{port}{path}"


def http_get(server_url: str, school: School, path: str) -> tuple[int, str]:
    """GET over real HTTP to 127.0.0.1 with the school's Host header, as curl -H 'Host: …' does."""
    port = server_url.rsplit(":", 1)[1]
    request = Request(server_url + path, headers={"Host": f"{host_of(school)}:{port}"})  # noqa: S310
    try:
        with urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read().decode()
    except HTTPError as error:
        return error.code, error.read().decode()
