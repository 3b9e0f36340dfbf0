"""The per-school figures: the dashboard shows the few schools most in need, whatever the size
of the trust; every school is on the schools page, a page at a time and searchable by name."""

from __future__ import annotations

from typing import Any

import pytest

from tenants.models import School
from tenants.services import school_create
from tests.conftest import World, school_client
from tests.trustplatform.test_statistics import NOW, _lead, frozen, recorded
from trustplatform.accounts.models import Role
from trustplatform.statistics.selectors import (
    Table,
    schools_most_in_need,
    schools_page,
    trust_statistics,
)
from trustplatform.statistics.suppression import SUPPRESSED

__all__ = ["frozen", "recorded"]  # fixtures, used by name

DASHBOARD = "/portal/statistics/"
SCHOOLS = "/portal/statistics/schools/"
HEADINGS = [
    "School",
    "Concerns",
    "Open cases",
    "Overdue actions",
    "Waiting over 24 hours for screening",
]


def _table(rows: list[list[Any]]) -> Table:
    return Table(
        key="schools",
        title="Concerns per 100 pupils, by school",
        note="",
        headings=HEADINGS,
        rows=rows,
        total=["Trust", 0, 0, 0, 0],
        bars=[],
        bar_label="",
        row_schools=tuple(range(1, len(rows) + 1)),
    )


def test_the_schools_most_in_need_come_first_ranked_by_published_figures_only() -> None:
    table = _table(
        [
            ["Ash", 40, 9, 0, 0],
            ["Beech", 12, 0, 0, SUPPRESSED],  # a hidden count ranks as 1, never as itself
            ["Cherry", 30, 0, 7, 0],
            ["Damson", 8, 0, 0, 6],
            ["Elm", 50, 0, 0, 0],
        ]
    )
    most = schools_most_in_need(table, count=3)
    assert [row[0] for row in most.rows] == ["Damson", "Beech", "Cherry"]
    assert most.row_schools == (4, 2, 3)
    assert most.total == table.total


def test_a_page_of_schools_shows_the_cells_of_the_whole_table() -> None:
    table = _table(
        [[f"School {n:03}", n, 0, 0, SUPPRESSED if n % 7 == 0 else 0] for n in range(120)]
    )
    second = schools_page(table, query="", number=2, per_page=50)
    assert (second.number, second.pages, second.matching) == (2, 3, 120)
    assert second.table.rows == table.rows[50:100]
    assert second.table.row_schools == table.row_schools[50:100]
    found = schools_page(table, query="school 07", number=9, per_page=50)
    assert found.number == 1 and found.matching == 10
    assert [row[0] for row in found.table.rows][:2] == ["School 070", "School 071"]
    assert found.table.rows[0][4] == SUPPRESSED
    assert schools_page(table, query="nothing", number=1, per_page=50).table.rows == []


def test_the_dashboard_links_to_every_school_and_the_schools_page_finds_one_by_name(
    world: World, recorded: dict[str, Any]
) -> None:
    client = school_client(None, _lead(world))
    page = client.get(DASHBOARD).content.decode()
    assert "Schools most in need of attention" in page
    assert 'data-testid="all-schools"' in page and "All 2 schools" in page
    found = client.get(SCHOOLS, {"q": "birch", "period": "year:2025-26"})
    assert found.status_code == 200
    text = found.content.decode()
    assert "Birchwood Academy" in text and "Alder Lane Primary" not in text
    assert "1 school named with" in text
    # The whole table as CSV, suppressed as on the page.
    download = client.get(SCHOOLS, {"format": "csv", "table": "schools"})
    assert "Alder Lane Primary,9,10,111.1" in download.content.decode()


def test_a_school_added_since_the_figures_were_refreshed_is_among_the_dashboards_schools(
    as_owner: None, world: World, recorded: dict[str, Any]
) -> None:
    school_create(
        trust=world.trust,
        name="Aspen Vale Primary",
        slug="aspenvale",
        urn="912346",
        phase=School.Phase.PRIMARY,
    )
    stats = trust_statistics(trust=world.trust, today=NOW.date(), most_in_need=10)
    schools = stats.table("schools")
    assert schools is not None
    # Alder has an open case and an overdue action: first; the schools needing nothing follow
    # by name, the new one among them, with no figures yet.
    assert [row[0] for row in schools.rows] == [
        "Alder Lane Primary",
        "Aspen Vale Primary",
        "Birchwood Academy",
    ]
    assert stats.not_refreshed == ["Aspen Vale Primary"] and stats.schools == 3
    # Only the first, when one is asked for; never more than the trust's snapshot ranks.
    one = trust_statistics(trust=world.trust, today=NOW.date(), most_in_need=1).table("schools")
    assert one is not None and [row[0] for row in one.rows] == ["Alder Lane Primary"]
    with pytest.raises(ValueError, match="1 to 10"):
        trust_statistics(trust=world.trust, today=NOW.date(), most_in_need=11)


def test_only_the_trusts_lead_opens_the_schools_page(
    world: World, recorded: dict[str, Any]
) -> None:
    assert school_client(None, None).get(SCHOOLS).status_code in {302, 404}
    for user in (world.person("trust", Role.TRUST_ADMIN), world.person("a", Role.DSL)):
        assert school_client(None, user).get(SCHOOLS).status_code in {403, 404}
    # Another trust's lead sees only their own schools.
    other = school_client(None, world.person("other_trust", Role.TRUST_SAFEGUARDING_LEAD))
    response = other.get(SCHOOLS)
    if response.status_code == 200:
        assert "Birchwood Academy" not in response.content.decode()
