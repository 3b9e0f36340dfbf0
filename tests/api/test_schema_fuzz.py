"""Every API operation against the schema the site serves (schemathesis): generated requests
from keys of each scope and from a signed-in session (on the trust portal, the signed-in
trust's safeguarding lead, and a trust admin it refuses); no 5xx, every response as documented,
and every operation answered 2xx at least once (a run of 401s alone would prove nothing).

Bounded: a few generated examples per operation and caller (FUZZ_EXAMPLES), plus one request
per operation built from real rows, so that the run takes about a minute.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import schemathesis
from django.conf import settings as settings_
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from safeguarding.models import Action
from safeguarding.services.concerns import action_add, concern_record
from tenants.models import School
from tests.api.helpers import key_client, make_key
from tests.conftest import World, host_of, school_client
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role

FUZZ_EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SESSION = settings_.SESSION_COOKIE_NAME
LEAD = Role.TRUST_SAFEGUARDING_LEAD
SCOPES = ("read_pupils", "write_pupils", "write_concerns", "read_records", "encompass")
CSRF = "c" * 32


@contextmanager
def wsgi_in_test_transaction() -> Iterator[None]:
    """As Django's test client does around each request (and so after any use of it): a
    request's start and end must not close the connection that holds the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _callers(world: World) -> dict[str, dict[str, Any]]:
    """Each caller's request arguments: a key of each scope, and the DSL's session with CSRF."""
    callers: dict[str, dict[str, Any]] = {
        scope: {"headers": {"Authorization": f"Bearer {make_key(world, scope).token}"}}
        for scope in SCOPES
    }
    session = school_client(world.school_a, world.person("a", Role.DSL))
    callers["dsl session"] = {
        "headers": {"X-CSRFToken": CSRF},
        "cookies": {
            settings_.SESSION_COOKIE_NAME: session.cookies[settings_.SESSION_COOKIE_NAME].value,
            settings_.CSRF_COOKIE_NAME: CSRF,
        },
    }
    return callers


def _real_rows(world: World) -> dict[str, Any]:
    with schema_context(world.school_a.schema_name):
        pupil = make_pupil("Briony", "Haldane")
        categories = category_ids("neglect")
        concern = concern_record(
            school=world.school_a,
            author=person(world.person("a", Role.STAFF), Role.STAFF),
            pupil_ids=[pupil.pk],
            category_ids=categories,
            account="Invented account for the schema run.",
        )
        action_add(
            concern=concern,
            actor=person(world.person("a", Role.DSL), Role.DSL),
            kind=Action.Kind.PARENTS_INFORMED,
        )
    return {
        "pupil_id": pupil.pk,
        "concern_id": concern.pk,
        "sync": {"pupils": [{"upn": pupil.upn, "form": "5C"}]},
        "encompass": {
            "police_force": "Wessex Constabulary",
            "incident_reference": "WX/2026/82210",
            "incident_at": "2026-01-10T22:15:00Z",
            "notification": "Invented notification for the schema run.",
            "upn": pupil.upn,
        },
        "concern": {
            "pupil_ids": [pupil.pk],
            "category_ids": categories,
            "account": "Invented account sent through the API.",
        },
    }


def _fuzz(operation: Any, base_url: str, caller: dict[str, Any], answered: set[int]) -> None:
    """A few generated requests to one operation from one caller, each response checked."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        response = case.call_and_validate(base_url=base_url, checks=CHECKS, **caller)
        answered.add(response.status_code)

    fuzz()


def test_every_operation_matches_the_served_schema(world: World, db: None) -> None:
    rows = _real_rows(world)
    served = key_client(world.school_a, make_key(world, "read_pupils").token).get(
        "/api/v1/schema/?format=json"
    )
    operations = _all_checked(served, world.school_a, _callers(world), rows)
    assert operations >= 10


def test_every_portal_operation_matches_the_served_schema(world: World, db: None) -> None:
    """The trust portal's API: the trust's safeguarding lead, and the trust admin (refused)."""
    callers = {
        name: {"cookies": {SESSION: client.cookies[SESSION].value}}
        for name, client in (
            ("trust lead session", school_client(None, world.person("trust", LEAD))),
            ("trust admin session", school_client(None, world.person("trust", Role.TRUST_ADMIN))),
        )
    }
    lead = school_client(None, world.person("trust", LEAD))
    served = lead.get("/api/v1/schema/?format=json")
    operations = _all_checked(served, None, callers, {"school_id": world.school_a.pk})
    assert operations == 2


def _all_checked(
    served: Any, school: School | None, callers: dict[str, dict[str, Any]], rows: dict[str, Any]
) -> int:
    """Runs every operation of the served schema for every caller; each answered 2xx once."""
    assert served.status_code == 200
    schema = schemathesis.openapi.from_dict(served.json())
    schema.app = WSGIHandler()
    base_url = f"http://{host_of(school)}"
    answered: dict[str, set[int]] = defaultdict(set)

    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    with wsgi_in_test_transaction():
        _run(operations, callers, rows, base_url, answered)
    never_2xx = sorted(
        label for label, codes in answered.items() if not any(200 <= c < 300 for c in codes)
    )
    assert not never_2xx, f"operations never answered 2xx: {never_2xx}"
    assert len(answered) == len(operations)
    return len(operations)


def _run(
    operations: list[Any],
    callers: dict[str, dict[str, Any]],
    rows: dict[str, Any],
    base_url: str,
    answered: dict[str, set[int]],
) -> None:
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        for caller in callers.values():
            _fuzz(operation, base_url, caller, answered[label])
            # One request from real rows: a pupil, a concern and its action that exist.
            path = {
                name: rows[name]
                for name in ("pupil_id", "concern_id", "school_id")
                if f"{{{name}}}" in operation.path
            }
            body: Any = None
            if operation.path.endswith("/sync/"):
                body = rows["sync"]
            elif operation.path.endswith("/encompass/notifications/"):
                body = rows["encompass"]
            elif operation.method.upper() == "POST":
                body = rows["concern"]
            case = operation.Case(
                path_parameters=path or None,
                **({"body": body, "media_type": "application/json"} if body else {}),
            )
            response = case.call_and_validate(base_url=base_url, checks=CHECKS, **caller)
            answered[label].add(response.status_code)
