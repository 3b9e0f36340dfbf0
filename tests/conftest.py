"""Shared fixtures: a trust with two schools, a school of another trust, made through services.

The schools are created once per test session (committed, from the template schema); each test
runs in a transaction that is rolled back, so rows a test writes in any school's schema vanish.

Tests run as production does, with two database roles (docs/security.md, "Database roles"): the
test database is created and migrated by an owner role, and the default connection, which every
test and the code under test use, is the application role with its grants only. A test that must
act as the owner (tampering with an append-only row to test verify_chronology, creating schools)
asks for the `as_owner` fixture, which runs the whole test through the owner's connection.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import psycopg2
import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.db import connections
from django.test import Client
from django.test.testcases import LiveServerThread
from django.test.utils import override_settings, setup_databases, teardown_databases
from django_tenants.utils import get_public_schema_name

from tenants.addresses import site_host
from tenants.db import OWNER_ALIAS, owner_connection, school_connection
from tenants.models import School, Trust
from tenants.services import school_create, trust_create
from tests.database_roles import TEST_APP_ROLE, TEST_OWNER_ROLE, TEST_ROLE_PASSWORD
from tests.safeguarding.fixtures import with_two_factor
from trustplatform.accounts.middleware import (
    SESSION_LAST_ACTIVITY,
    SESSION_PASSWORD_ACCEPTED,
    SESSION_PLACE,
    password_accepted_mark,
)
from trustplatform.accounts.models import SCHOOL_ROLES, TRUST_ROLES, Role, User
from trustplatform.accounts.services import (
    school_membership_add,
    trust_membership_add,
    user_create,
)
from trustplatform.celery import app
from trustplatform.middleware import school_of_host_forget
from trustplatform.permissions import CHILD_DATA_ROLES, SESSION_OTP_VERIFIED


@dataclass(frozen=True)
class World:
    trust: Trust
    school_a: School
    school_b: School
    other_trust: Trust
    school_c: School
    # people["a"][Role.DSL] is school A's DSL; people["trust"][Role.TRUSTEE] a trustee of `trust`;
    # "b", "c" and "other_trust" likewise. Every child-data reader has two-factor set up.
    people: dict[str, dict[Role, User]]

    def person(self, place: str, role: Role) -> User:
        # A copy: services refresh the users they change, and a test's rolled-back change must
        # not linger in the session-wide object.
        return copy.copy(self.people[place][role])


PASSWORD = "correct-horse-battery-staple"


def _person(email: str, name: str, *, two_factor: bool) -> User:
    user = user_create(email=email, full_name=name, password=PASSWORD)
    return with_two_factor(user) if two_factor else user


def _people_of(
    world_schools: dict[str, School], trusts: dict[str, Trust]
) -> dict[str, dict[Role, User]]:
    people: dict[str, dict[Role, User]] = {}
    for place, school in world_schools.items():
        people[place] = {}
        for role in sorted(SCHOOL_ROLES):
            user = _person(
                f"{role.value}.{school.slug}@example.org",
                f"{role.label} of {school.name}",
                two_factor=role in CHILD_DATA_ROLES,
            )
            school_membership_add(user=user, school=school, role=role)
            people[place][role] = user
    for place, trust in trusts.items():
        people[place] = {}
        for role in sorted(TRUST_ROLES):
            user = _person(
                f"{role.value}.{trust.slug}@example.org",
                f"{role.label} of {trust.name}",
                two_factor=True,
            )
            trust_membership_add(user=user, trust=trust, role=role)
            people[place][role] = user
    return people


def _database_roles_ensure(*, keepdb: bool) -> None:
    default, owner = connections["default"].settings_dict, connections[OWNER_ALIAS].settings_dict
    if default.get("USER") != owner.get("USER"):
        return  # two roles already: the embedded server's, or the environment's own
    admin = psycopg2.connect(
        dbname="postgres",
        user=default["USER"],
        password=default.get("PASSWORD") or None,
        host=default.get("HOST") or None,
        port=default.get("PORT") or None,
    )
    admin.autocommit = True
    test_name = connections[OWNER_ALIAS].creation._get_test_db_name()  # type: ignore[attr-defined]
    with admin.cursor() as cursor:
        for role, options in ((TEST_OWNER_ROLE, "LOGIN CREATEDB"), (TEST_APP_ROLE, "LOGIN")):
            # Parallel runs on one server may race to make the roles: the loser finds them made.
            with contextlib.suppress(
                psycopg2.errors.DuplicateObject, psycopg2.errors.UniqueViolation
            ):
                cursor.execute(f"CREATE ROLE {role}")
            cursor.execute(
                f"ALTER ROLE {role} NOSUPERUSER NOCREATEROLE {options} PASSWORD %s",
                [TEST_ROLE_PASSWORD],
            )
        # A test database left by a run made before the roles belongs to the superuser, and the
        # owner role could not replace it.
        cursor.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [test_name]
        )
        found = cursor.fetchone()
        if found is not None and found[0] != TEST_OWNER_ROLE and not keepdb:
            cursor.execute(f'DROP DATABASE "{test_name}" WITH (FORCE)')
    admin.close()
    connections.close_all()
    for alias, role in ((OWNER_ALIAS, TEST_OWNER_ROLE), ("default", TEST_APP_ROLE)):
        for settings_dict in (settings.DATABASES[alias], connections[alias].settings_dict):
            settings_dict["USER"] = role
            settings_dict["PASSWORD"] = TEST_ROLE_PASSWORD


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
    of browser tests alone would otherwise find no tables. The owner role creates and migrates it
    (migrate grants the application role its privileges); the default connection is then the
    application role's, on the same database.
    """
    with django_db_blocker.unblock():
        _database_roles_ensure(keepdb=django_db_keepdb)
        config = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            keepdb=django_db_keepdb,
            aliases={OWNER_ALIAS: {}},  # the stubs say Mapping; Django iterates the keys
        )
        test_name = connections[OWNER_ALIAS].settings_dict["NAME"]
        connections["default"].close()
        for settings_dict in (settings.DATABASES["default"], connections["default"].settings_dict):
            settings_dict["NAME"] = test_name
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            connections.close_all()
            teardown_databases(config, verbosity=request.config.option.verbose)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test that acts as the owner has both connections in its transaction, rolled back after it.
    for item in items:
        if "as_owner" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.django_db(databases=["default", OWNER_ALIAS]), append=False)


@pytest.fixture(scope="session")
def world(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> World:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        trust = trust_create(name="Northwood Learning Trust", slug="northwood")
        other = trust_create(name="Eastmere Schools Trust", slug="eastmere")
        school_a = school_create(
            trust=trust,
            name="Alder Lane Primary",
            slug="alder",
            urn="900001",
            phase=School.Phase.PRIMARY,
        )
        school_b = school_create(
            trust=trust,
            name="Birchwood Academy",
            slug="birchwood",
            urn="900002",
            phase=School.Phase.SECONDARY,
        )
        school_c = school_create(
            trust=other,
            name="Cedar Bank School",
            slug="cedarbank",
            urn="900003",
            phase=School.Phase.PRIMARY,
        )
        people = _people_of(
            {"a": school_a, "b": school_b, "c": school_c}, {"trust": trust, "other_trust": other}
        )
        return World(
            trust=trust,
            school_a=school_a,
            school_b=school_b,
            other_trust=other,
            school_c=school_c,
            people=people,
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


def host_of(school: School | None) -> str:
    return site_host(school)


def school_client(
    school: School | None, user: User | None = None, *, two_factor: bool = True
) -> Client:
    """A test client on the school's subdomain (None: the root domain), signed in as `user`.

    The session is made as the sign-in view makes it, bound to that site. A user with two-factor
    is signed in past it; with `two_factor=False` they have typed only their password, which
    leaves the "password accepted" mark and no sign-in (trustplatform/accounts/middleware.py).
    """
    client = Client(HTTP_HOST=host_of(school))
    if user is None:
        return client
    if user.has_two_factor and not two_factor:
        session = client.session
        session[SESSION_PASSWORD_ACCEPTED] = password_accepted_mark(user, _place(school))
        session.save()
        return client
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    _as_after_sign_in(session, user, school, two_factor=two_factor)
    session.save()
    return client


def _place(school: School | None) -> str:
    return school.schema_name if school is not None else "public"


def _as_after_sign_in(session: Any, user: User, school: School | None, *, two_factor: bool) -> None:
    """The keys the sign-in view leaves in a session (trustplatform/accounts/middleware.py)."""
    session[SESSION_PLACE] = _place(school)
    session[SESSION_LAST_ACTIVITY] = int(time.time())
    session[SESSION_OTP_VERIFIED] = two_factor and user.has_two_factor


@pytest.fixture(scope="session", autouse=True)
def _chain_heads_of_this_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # Heads exported by `make demo` into .data/ name rows of another database: the test run
    # keeps its own write-once folder (empty unless a test exports into it).
    folder = tmp_path_factory.mktemp("chain-heads")
    storage = {
        "BACKEND": "trustplatform.storage.WriteOnceFileSystemStorage",
        "OPTIONS": {"location": str(folder)},
    }
    with override_settings(STORAGES=settings.STORAGES | {"chain_heads": storage}):
        yield


@pytest.fixture
def as_owner(world: World, db: None) -> Iterator[None]:
    """The whole test through the owner role's connection (tenants.db.owner_connection): for
    tests of what only the owner may do, such as tampering with an append-only row the way
    someone holding the owner's rights could, or creating schools inside the test's transaction.
    The shared world is made first, as the application, outside the test's transaction; a school
    the test had entered already (`in_school_a`) is entered on the owner's connection too."""
    application = connections["default"]
    with owner_connection():
        if application.schema_name != get_public_schema_name():  # type: ignore[attr-defined]
            school_connection.set_tenant(application.tenant)  # type: ignore[attr-defined]
        yield


@pytest.fixture(autouse=True)
def _public_schema_after_each_test() -> Iterator[None]:
    # A test that enters a school must not leak its search_path into the next test.
    yield
    school_connection.set_schema_to_public()
    with owner_connection():
        school_connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _no_school_kept_for_a_host_after_each_test() -> Iterator[None]:
    # The routing middleware keeps each host's school for a few seconds; a test's rollback
    # undoes a suspension or a new address without telling it.
    yield
    school_of_host_forget()


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
        # Links in emails are written from the configured site address: this server's, here.
        configured = settings.SITE_SCHEME, settings.SITE_PORT
        settings.SITE_SCHEME, settings.SITE_PORT = "http", str(thread.port)
        yield f"http://127.0.0.1:{thread.port}"
        settings.SITE_SCHEME, settings.SITE_PORT = configured
        thread.terminate()


def school_url(server_url: str, school: School, path: str = "/") -> str:
    """The URL of a page on the school's subdomain (Chromium resolves *.localhost itself)."""
    port = server_url.rsplit(":", 1)[1]
    return f"http://{host_of(school)}:{port}{path}"


def signed_in_cookie(user: User, school: School) -> str:
    """A committed session of `user` on the school's site, as a Cookie header value.

    Call it inside `django_db_blocker.unblock()` outside a test transaction, so that the HTTP
    server's own connections can read the session.
    """
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    _as_after_sign_in(session, user, school, two_factor=True)
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def http_get(server_url: str, school: School, path: str, cookie: str = "") -> tuple[int, str]:
    """GET over real HTTP to 127.0.0.1 with the school's Host header, as curl -H 'Host: …' does."""
    port = server_url.rsplit(":", 1)[1]
    headers = {"Host": f"{host_of(school)}:{port}"} | ({"Cookie": cookie} if cookie else {})
    request = Request(server_url + path, headers=headers)  # noqa: S310
    try:
        with urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read().decode()
    except HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def tasks_run_when_sent() -> Iterator[None]:
    """Celery runs a task in this process when it is sent (eager): the worker's own code, on this
    test's rows, in the school the message names."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
