"""Every query parameter and form field of every page, sent extreme values as every kind of person:
the answer is a page, a redirect or a clear refusal (4xx), never a server error.

The pages and people are the authorisation matrix's (tests/trustplatform/test_authorization_
matrix.py). The fields are read from the pages themselves: each page is opened as each person
allowed to see it and every <form> on it is collected (its method, its action and the names of
its fields), together with the fields of the matrix's own POST rows and the query parameters
views read outside forms (`page`, `next`, ...). Hypothesis then fills every field of a form with
values a crafted request could carry: dates far in the past and the future, integers beyond 64
bits, empty and very long strings, bytes that are not UTF-8, NUL bytes.

Bounded by the `fuzz` profile below (a fixed number of examples per page and person, no
deadline, derandomised so a run in CI is repeatable) and a fixed sweep of each field alone; the
file takes about 100 seconds on two cores (about 80 of them the fuzzing itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenants.models import School
from tests.authz import ROOT_ACTORS, SCHOOL_ACTORS, Row
from tests.conftest import World
from tests.trustplatform.test_authorization_matrix import (
    ROOT_MATRIX,
    SCHOOL_MATRIX,
    expected,
    matrix_client,
    matrix_url,
    row_for,
)

settings.register_profile(
    "fuzz",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Examples per page for each person allowed to open it, and for each person refused (who must
# be refused cleanly, whatever they send).
ALLOWED_EXAMPLES = 2
REFUSED_EXAMPLES = 1

# Query parameters views read without a form on the page.
LOOSE_QUERY_PARAMETERS = ("page", "next", "status", "from", "format", "table")
# Forms that end the session; the pages that hold them are fuzzed, not these.
SESSION_ENDERS = frozenset({"accounts:logout", "accounts:sign_out_everywhere"})

EXTREMES: list[str | bytes] = [
    "",
    " ",
    "0",
    "-1",
    str(2**31),
    str(2**63),
    str(-(2**63) - 1),
    str(2**64 + 1),
    "9" * 60,
    "1e309",
    "NaN",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2023-02-29",
    "0000-00-00",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "9999-12-31 23:59:59",
    "23:59:60",
    "\x00",
    "a\x00b",
    "x" * 20_000,
    "€" * 3_000,
    "[" * 200,
    '{"side": "front", "x": 1e400}',
    "../../etc/passwd",
    "%",
    "on",
    "true",
    b"\xff\xfe\xfd",
    b"\xc3\x28",
    b"\xed\xa0\x80",
]
# Sent to every field alone: the values that broke pages before (an unbounded date, an id
# beyond bigint) and bytes no text column takes.
SWEEP: list[str | bytes] = ["9999-12-31", str(2**64 + 1), "\x00", b"\xff\xfe"]
VALUES = st.one_of(
    st.sampled_from(EXTREMES),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=40),
)


@dataclass(frozen=True)
class Form:
    method: str
    action: str
    fields: tuple[str, ...]


class _Forms(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self._current: tuple[str, str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            action = found.get("action") or self.page_url
            self._current = ((found.get("method") or "get").upper(), action, [])
        elif tag in {"input", "select", "textarea", "button"} and self._current is not None:
            name = found.get("name")
            if name and name != "csrfmiddlewaretoken":
                self._current[2].append(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._current is not None:
            method, action, fields = self._current
            self.forms.append(Form(method, action, tuple(dict.fromkeys(fields))))
            self._current = None


def _url_name(path: str, urlconf: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path, urlconf=urlconf)
    except Resolver404:
        return None
    return match.view_name


def _forms_of(
    matrix: dict[str, Row], name: str, url: str, clients: dict[str, Client], urlconf: str
) -> list[Form]:
    """Every form of the page as each person sees it, the row's own request, loose parameters."""
    row = row_for(matrix, name)
    assert row is not None
    forms: dict[tuple[str, str], set[str]] = {}
    if row.method == "POST":
        forms[("POST", url)] = set(row.data)
    else:
        forms[("GET", url)] = set(LOOSE_QUERY_PARAMETERS)
        for client in clients.values():
            response = client.get(url)
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            parser = _Forms(url)
            parser.feed(response.content.decode("utf-8", "replace"))
            for form in parser.forms:
                if _url_name(form.action, urlconf) in SESSION_ENDERS:
                    continue
                forms.setdefault((form.method, form.action), set()).update(form.fields)
    return [
        Form(method, action, tuple(sorted(fields))) for (method, action), fields in forms.items()
    ]


def _send(client: Client, form: Form, values: dict[str, str | bytes]) -> HttpResponseBase:
    encoded = urlencode(list(values.items()))  # bytes are percent-encoded as they are: not UTF-8
    path = urlsplit(form.action).path
    if form.method == "POST":
        return client.generic(
            "POST", path, encoded.encode("ascii"), "application/x-www-form-urlencoded"
        )
    return client.get(path, QUERY_STRING=encoded)


def _check(client: Client, actor: str, form: Form, values: dict[str, str | bytes]) -> None:
    response = _send(client, form, values)
    assert response.status_code < 500, (
        f"{form.method} {form.action} as {actor} with {values!r:.300}: HTTP {response.status_code}"
    )


def _fuzz(
    world: World, matrix: dict[str, Row], name: str, people: tuple[str, ...], school: School | None
) -> None:
    urlconf = "trustplatform.urls_tenant" if school is not None else "trustplatform.urls_public"
    row = row_for(matrix, name)
    assert row is not None
    url = matrix_url(world, matrix, name, school)
    clients = {actor: matrix_client(world, actor, school, row) for actor in people}
    allowed = {actor: c for actor, c in clients.items() if expected(row, actor) == "ok"}
    forms = _forms_of(matrix, name, url, allowed, urlconf)
    # Each field alone, with each of the values most likely to break a parser or a query, as the
    # person who sees most of the page (the last one allowed: the leads come last in the tables).
    if allowed:
        sweeper, client = list(allowed.items())[-1]
        for form in forms:
            for field in form.fields:
                for value in SWEEP:
                    _check(client, sweeper, form, {field: value})
    # Then every person, with every field of a form filled (or left out) at once.
    for actor, client in clients.items():
        examples = ALLOWED_EXAMPLES if actor in allowed else REFUSED_EXAMPLES
        _send_extremes(client, actor, forms, examples)


def _send_extremes(client: Client, actor: str, forms: list[Form], examples: int) -> None:
    @settings(settings.get_profile("fuzz"), max_examples=examples)
    @given(data=st.data())
    def send(data: st.DataObject) -> None:
        form = data.draw(st.sampled_from(forms))
        values = data.draw(st.fixed_dictionaries({}, optional=dict.fromkeys(form.fields, VALUES)))
        _check(client, actor, form, values)

    send()


@pytest.mark.parametrize("name", sorted(SCHOOL_MATRIX))
def test_no_field_of_a_school_page_gives_a_server_error(world: World, db: None, name: str) -> None:
    _fuzz(world, SCHOOL_MATRIX, name, SCHOOL_ACTORS, world.school_a)


@pytest.mark.parametrize("name", sorted(ROOT_MATRIX))
def test_no_field_of_a_root_page_gives_a_server_error(world: World, db: None, name: str) -> None:
    _fuzz(world, ROOT_MATRIX, name, ROOT_ACTORS, None)
