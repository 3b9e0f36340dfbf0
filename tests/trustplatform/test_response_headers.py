"""Every page of both sites, asked by every kind of person: nothing a browser may keep, and a
Content-Security-Policy on every HTML page that forbids inline script (docs/security.md).

The walk is the authorisation matrix's (tests/trustplatform/test_authorization_matrix.py): the
same patterns, people and requests. A response on a school's site, or to anyone signed in, can
show child data (or the names of a school's staff), so each must say `no-store`: a shared school
computer's browser, or a proxy, must not keep a copy to show the next person.
"""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.http.response import HttpResponseBase

from tenants.models import School
from tests.authz import ROOT_ACTORS, SCHOOL_ACTORS, Row
from tests.conftest import World, school_client
from tests.trustplatform.test_authorization_matrix import (
    ROOT_MATRIX,
    SCHOOL_MATRIX,
    matrix_response,
)
from trustplatform.accounts.models import Role

# A <script> element that runs code: one without src, unless it only carries data (json_script).
_INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.IGNORECASE
)
# An event-handler attribute (onclick=, onchange=, ...) or a javascript: URL inside a tag.
_INLINE_HANDLER = re.compile(r"<[^>]*\s(?:on[a-z]+\s*=|href=\"javascript:)", re.IGNORECASE)


def _directives(policy: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        if words := part.split():
            directives[words[0].lower()] = words[1:]
    return directives


def assert_not_kept(response: HttpResponseBase, what: str) -> None:
    cache_control = response.get("Cache-Control", "")
    assert "no-store" in cache_control, f"{what}: Cache-Control {cache_control!r}"


def assert_csp_without_inline_script(response: HttpResponseBase, what: str) -> None:
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    policy = response.get("Content-Security-Policy", "")
    assert policy, f"{what}: an HTML page without a Content-Security-Policy"
    directives = _directives(policy)
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts is not None, f"{what}: the policy does not restrict scripts: {policy}"
    assert "'unsafe-inline'" not in scripts, f"{what}: inline script allowed: {policy}"
    assert "'unsafe-eval'" not in scripts, f"{what}: eval allowed: {policy}"
    assert directives.get("frame-ancestors") == ["'none'"], f"{what}: {policy}"
    html = b"".join(response).decode("utf-8", "replace")
    assert not _INLINE_SCRIPT.search(html), f"{what}: an inline <script> the policy would block"
    assert not _INLINE_HANDLER.search(html), f"{what}: an inline event handler"


def _walk(
    world: World,
    matrix: dict[str, Row],
    name: str,
    people: tuple[str, ...],
    school: School | None,
) -> None:
    for actor in people:
        # Each person's request in a savepoint rolled back after it, as the matrix gives each its
        # own test: the row's kwargs make their objects afresh, and a POST changes nothing for
        # the next person.
        with transaction.atomic():
            response = matrix_response(world, matrix, name, actor, school)
            transaction.set_rollback(True)
        what = f"{name} as {actor} (HTTP {response.status_code})"
        assert response.status_code < 500, what
        if school is not None or actor != "anonymous":
            assert_not_kept(response, what)
        assert_csp_without_inline_script(response, what)


@pytest.mark.parametrize("name", sorted(SCHOOL_MATRIX))
def test_school_site_pages_are_not_kept_and_carry_a_csp(world: World, db: None, name: str) -> None:
    _walk(world, SCHOOL_MATRIX, name, SCHOOL_ACTORS, world.school_a)


@pytest.mark.parametrize("name", sorted(ROOT_MATRIX))
def test_root_site_pages_carry_a_csp_and_signed_in_ones_are_not_kept(
    world: World, db: None, name: str
) -> None:
    _walk(world, ROOT_MATRIX, name, ROOT_ACTORS, None)


def test_error_pages_of_the_routing_layer_carry_the_policy_too(world: World, db: None) -> None:
    # Answered before any view runs: an unknown school's address.
    client = school_client(None)
    response = client.get("/", HTTP_HOST="no-such-school.localhost")
    assert response.status_code == 404
    assert_csp_without_inline_script(response, "unknown school")
    assert_not_kept(response, "unknown school")


def test_a_signed_in_dsls_pupil_list_is_never_stored(world: World, db: None) -> None:
    response = school_client(world.school_a, world.person("a", Role.DSL)).get("/pupils/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
