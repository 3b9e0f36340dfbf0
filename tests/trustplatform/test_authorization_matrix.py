"""Every URL of both URLconfs, requested by every kind of person, against an expected table.

A URL pattern without a row here fails `test_every_url_pattern_has_a_row`: a new page cannot
ship without saying who may open it. The people are the shared `world`: each school role of
school A, a user of school B (same trust), a user of school C (another trust), the trust roles,
and anonymous. Sessions are made as the sign-in view makes them, two-factor passed where set up;
`test_child_data_and_role_management_need_the_second_factor` covers a password alone, and
tests/trustplatform/test_sign_in_second_factor.py every URL with a password alone.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tenants.models import School
from tests.authz import (
    A_MEMBERS,
    DENIED,
    EVERYONE_ROOT,
    EVERYONE_SCHOOL,
    LOGIN,
    OK,
    ROOT_ACTORS,
    SCHOOL_ACTORS,
    TWO_FACTOR,
    WITHOUT_TWO_FACTOR,
    Row,
    actors,
    membership_of,
    pending_dsl_naming,
)
from tests.conftest import World, school_client
from tests.safeguarding.fixtures import with_two_factor
from trustplatform.accounts.models import Role, User


def _public_pages(everyone: frozenset[str]) -> dict[str, Row]:
    """Account pages served on every site."""
    signed_in = everyone - {"anonymous"}
    bad_link = {"uidb64": "MQ", "token": "not-a-token"}
    return {
        "healthz": Row(allowed=everyone, anonymous=OK),
        "readyz": Row(allowed=everyone, anonymous=OK),
        "accounts:login": Row(allowed=everyone, anonymous=OK),
        "accounts:logout": Row(allowed=everyone, method="POST", anonymous=OK),
        "accounts:account": Row(allowed=signed_in),
        "accounts:sign_out_everywhere": Row(allowed=signed_in, method="POST"),
        # "Stay signed in": a signed-out page's script gets a 403 it reads, not the sign-in page.
        "accounts:session_time": Row(allowed=signed_in, method="POST", anonymous=DENIED),
        # Without two-factor set up, the check sends people on to set it up.
        "accounts:two_factor": Row(
            allowed=signed_in - WITHOUT_TWO_FACTOR, two_factor_first=WITHOUT_TWO_FACTOR & signed_in
        ),
        "accounts:two_factor_setup": Row(allowed=signed_in),
        "accounts:recovery_codes_regenerate": Row(
            allowed=signed_in - WITHOUT_TWO_FACTOR,
            method="POST",
            two_factor_first=WITHOUT_TWO_FACTOR & signed_in,
        ),
        "accounts:password_change": Row(allowed=signed_in),
        "accounts:password_reset": Row(allowed=everyone, anonymous=OK),
        "accounts:password_reset_done": Row(allowed=everyone, anonymous=OK),
        "accounts:password_reset_complete": Row(allowed=everyone, anonymous=OK),
        "accounts:password_reset_confirm": Row(
            allowed=everyone, anonymous=OK, kwargs=lambda w: bad_link
        ),
        "accounts:invitation_accept": Row(
            allowed=everyone, anonymous=OK, kwargs=lambda w: bad_link
        ),
    }


SCHOOL_MATRIX: dict[str, Row] = _public_pages(EVERYONE_SCHOOL) | {
    "safeguarding:home": Row(allowed=EVERYONE_SCHOOL, anonymous=OK),
    "safeguarding:category_guidance": Row(allowed=A_MEMBERS),
    "staff:list": Row(
        allowed=actors("a:deputy_dsl", "a:dsl", "a:headteacher", "a:school_admin"),
        two_factor_first=actors("a:school_admin"),
    ),
    "staff:invite": Row(
        allowed=actors("a:dsl", "a:headteacher", "a:school_admin"),
        two_factor_first=actors("a:school_admin"),
    ),
    "staff:handover": Row(allowed=actors("a:dsl", "a:headteacher")),
    "staff:key_holder_access": Row(
        allowed=actors("a:dsl"), kwargs=membership_of(("a", Role.KEY_HOLDER))
    ),
    "safeguarding:access_log": Row(allowed=actors("a:dsl")),
    # Who may give which role is the grant matrix's (test_grant_matrix.py); here: the page.
    "staff:role_change": Row(
        allowed=actors("a:dsl", "a:headteacher", "a:school_admin"),
        method="POST",
        data={"role": "key_holder"},
        kwargs=membership_of(("a", Role.STAFF)),
        two_factor_first=actors("a:school_admin"),
    ),
    # The trust has named a new DSL: the headteacher or the current DSL confirms or declines.
    "staff:dsl_confirm": Row(
        allowed=actors("a:dsl", "a:headteacher"),
        method="POST",
        data={"previous_dsl_role": "deputy_dsl"},
        kwargs=pending_dsl_naming,
    ),
    "staff:dsl_decline": Row(
        allowed=actors("a:dsl", "a:headteacher"), method="POST", kwargs=pending_dsl_naming
    ),
    "staff:remove": Row(
        allowed=actors("a:dsl", "a:headteacher", "a:school_admin"),
        method="POST",
        kwargs=membership_of(("a", Role.GOVERNOR)),
        two_factor_first=actors("a:school_admin"),
    ),
    "staff:two_factor_reset": Row(
        allowed=actors("a:deputy_dsl", "a:dsl"),
        method="POST",
        kwargs=membership_of(("a", Role.KEY_HOLDER)),
    ),
}
ROOT_MATRIX: dict[str, Row] = _public_pages(EVERYONE_ROOT) | {
    "public_home": Row(allowed=EVERYONE_ROOT, anonymous=OK),
    "portal:home": Row(
        allowed=actors(
            "trust:trust_admin",
            "trust:trust_safeguarding_lead",
            "trust:trustee",
            "other_trust:trust_admin",
        )
    ),
    # School A belongs to `trust`: the other trust's admin gets the same 404 as for no school.
    "portal:school_dsl": Row(
        allowed=actors("trust:trust_admin"), kwargs=lambda w: {"school_id": w.school_a.pk}
    ),
    # The operator's Django admin: staff accounts only; everyone else is sent to its login.
    "admin:*": Row(allowed=actors("operator"), refused=LOGIN),
}


def _area_rows(attribute: str) -> dict[str, Row]:
    """Rows declared beside each area's tests: tests/<app>/authz_<area>.py."""
    rows: dict[str, Row] = {}
    for path in sorted(Path(__file__).resolve().parents[1].glob("*/authz_*.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.{path.stem}")
        rows |= getattr(module, attribute, {})
    return rows


SCHOOL_MATRIX |= _area_rows("SCHOOL_ROWS")
ROOT_MATRIX |= _area_rows("ROOT_ROWS")


def url_names(urlconf: str) -> Iterator[str]:
    def walk(patterns: list[URLPattern | URLResolver], namespace: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            else:
                yield f"{namespace}{pattern.name}"

    yield from walk(get_resolver(urlconf).url_patterns, "")


def row_for(matrix: dict[str, Row], name: str) -> Row | None:
    if name in matrix:
        return matrix[name]
    namespace = name.split(":", 1)[0]
    return matrix.get(f"{namespace}:*") if ":" in name else None


@pytest.mark.parametrize(
    ("urlconf", "matrix"),
    [("trustplatform.urls_tenant", SCHOOL_MATRIX), ("trustplatform.urls_public", ROOT_MATRIX)],
)
def test_every_url_pattern_has_a_row(urlconf: str, matrix: dict[str, Row]) -> None:
    missing = [name for name in url_names(urlconf) if row_for(matrix, name) is None]
    assert not missing, f"URL patterns of {urlconf} with no row in the matrix: {missing}"


def _client_for(
    world: World, actor: str, school: School | None, *, two_factor: bool = True
) -> Client:
    if actor == "anonymous":
        return school_client(school)
    if actor == "operator":
        operator = User.objects.create_superuser("operator@example.org", "op-password-long-enough")
        return school_client(school, with_two_factor(operator))
    place, role = actor.split(":")
    return school_client(school, world.person(place, Role(role)), two_factor=two_factor)


def _api_outcome(response: HttpResponseBase) -> str | None:
    """The API's answers that are no page's: 401 for no session or key (not a redirect to the
    sign-in page), and a 400 refusing the body, not the caller (past the door)."""
    if response.status_code == 401:
        return LOGIN
    if response.status_code == 400 and response.get("Content-Type") == "application/json":
        assert json.loads(response.content)["error"]["code"] == "invalid"  # type: ignore[attr-defined]
        return OK
    return None


def outcome(response: HttpResponseBase) -> str:
    if response.status_code in (403, 404):
        return DENIED
    if (api := _api_outcome(response)) is not None:
        return api
    if response.status_code in (301, 302, 303):
        target = urlsplit(response["Location"])
        if target.path.startswith("/accounts/two-factor") and "next=" in target.query:
            return TWO_FACTOR
        if target.path.endswith("login/") and "next=" in target.query:
            return LOGIN
        return OK
    assert response.status_code < 400, f"unexpected {response.status_code}"
    return OK


def expected(row: Row, actor: str) -> str:
    if actor == "anonymous":
        return row.anonymous
    if actor in row.two_factor_first:
        return TWO_FACTOR
    return OK if actor in row.allowed else row.refused


def matrix_url(world: World, matrix: dict[str, Row], name: str, school: School | None) -> str:
    """The URL of a pattern of the matrix, with the kwargs its row makes in the world."""
    row = row_for(matrix, name)
    assert row is not None
    url_name = "admin:index" if name.endswith(":*") else name
    return reverse(
        url_name, urlconf=_urlconf(school), kwargs=dict(row.kwargs(world)) if row.kwargs else None
    )


def matrix_response(
    world: World, matrix: dict[str, Row], name: str, actor: str, school: School | None
) -> HttpResponseBase:
    """The response to the row's request for the pattern, asked by `actor` as the matrix asks."""
    row = row_for(matrix, name)
    assert row is not None
    url = matrix_url(world, matrix, name, school)
    client = matrix_client(world, actor, school, row)
    if row.method == "POST" and row.json:
        return client.post(url, row.data, content_type="application/json")
    return client.post(url, row.data) if row.method == "POST" else client.get(url, row.data)


def matrix_client(world: World, actor: str, school: School | None, row: Row) -> Client:
    """A client of `actor` on the site, past two-factor unless the row sends them to it first."""
    return _client_for(world, actor, school, two_factor=actor not in row.two_factor_first)


def _request(
    world: World, matrix: dict[str, Row], name: str, actor: str, school: School | None
) -> str:
    return outcome(matrix_response(world, matrix, name, actor, school))


def _urlconf(school: School | None) -> str:
    return "trustplatform.urls_tenant" if school is not None else "trustplatform.urls_public"


def matrix_cases(matrix: dict[str, Row], people: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(name, actor) for name in matrix for actor in people]


@pytest.mark.parametrize(("name", "actor"), matrix_cases(SCHOOL_MATRIX, SCHOOL_ACTORS))
def test_school_site_authorisation(world: World, db: None, name: str, actor: str) -> None:
    row = SCHOOL_MATRIX[name]
    assert _request(world, SCHOOL_MATRIX, name, actor, world.school_a) == expected(row, actor)


@pytest.mark.parametrize(("name", "actor"), matrix_cases(ROOT_MATRIX, ROOT_ACTORS))
def test_root_site_authorisation(world: World, db: None, name: str, actor: str) -> None:
    row = ROOT_MATRIX[name]
    assert _request(world, ROOT_MATRIX, name, actor, None) == expected(row, actor)


@pytest.mark.parametrize(
    "name",
    [
        "staff:list",
        "staff:handover",
        "staff:role_change",
        "staff:two_factor_reset",
        "staff:remove",
        "staff:invite",
        "staff:dsl_confirm",
        "staff:dsl_decline",
    ],
)
def test_child_data_and_role_management_need_the_second_factor(
    world: World, db: None, name: str
) -> None:
    # The DSL typed their password but not yet their code: not signed in at all.
    row = SCHOOL_MATRIX[name]
    client = school_client(world.school_a, world.person("a", Role.DSL), two_factor=False)
    url = reverse(
        name,
        urlconf="trustplatform.urls_tenant",
        kwargs=dict(row.kwargs(world)) if row.kwargs else None,
    )
    response = client.post(url, row.data) if row.method == "POST" else client.get(url, row.data)
    assert outcome(response) == LOGIN
