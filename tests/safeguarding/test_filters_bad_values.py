"""Filter values no form could produce (a date at the end of time, an id beyond 64 bits) give the
page with a message that names the filter and says what it expects, never a server error."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.conftest import make_pupil
from trustplatform.accounts.models import Role


@pytest.fixture
def pupil_id(school_a: School) -> int:
    with schema_context(school_a.schema_name):
        return make_pupil("Invented", "Filterby").pk


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"until": "9999-12-31"}, "To: Enter a date between 1 January 1900 and 31 December 2199."),
        ({"since": "0001-01-01"}, "From: Enter a date between 1 January 1900"),
        ({"category": str(2**64)}, "Category: Choose from the list."),
        ({"category": "-5"}, "Category: Choose from the list."),
        ({"since": "2025-02-30"}, "From: Enter a real date, like 2025-09-01."),
    ],
)
def test_the_chronology_explains_a_filter_it_cannot_apply(
    world: World, school_a: School, pupil_id: int, query: dict[str, str], message: str
) -> None:
    client = school_client(school_a, world.person("a", Role.DSL))
    page = client.get(f"/pupils/{pupil_id}/chronology/", query)
    assert page.status_code == 200
    assert message in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"until": "9999-12-31"}, "To: Enter a date between 1 January 1900 and 31 December 2199."),
        ({"user": str(2**64)}, "Staff member: Choose from the list."),
        ({"pupil": "99999999999999999999999"}, "Choose from the list."),
    ],
)
def test_the_access_log_explains_a_filter_it_cannot_apply(
    world: World, school_a: School, query: dict[str, str], message: str
) -> None:
    page = school_client(school_a, world.person("a", Role.DSL)).get("/access-log/", query)
    assert page.status_code == 200
    assert message in page.text
