"""The trust's statistics through the portal's API: the same figures, periods and hidden small
counts as the statistics pages (docs/api.md, "Trust statistics"), for the trust's safeguarding
lead only. The figures are those of tests/trustplatform/test_statistics_periods.py, worked out
by hand there."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tenants.models import School
from tests.api.helpers import make_key
from tests.conftest import World, school_client
from tests.trustplatform import test_statistics_periods as periods
from trustplatform.accounts.models import Role
from trustplatform.statistics.models import CategoryRollup
from trustplatform.statistics.services import trust_rollups_rewrite_all
from trustplatform.statistics.suppression import SUPPRESSED

# The figures of the statistics pages' tests, as fixtures here.
figures, frozen = periods.figures, periods.frozen
DASHBOARD = periods.DASHBOARD
URL = "/api/v1/statistics/"
ENCOMPASS = "Operation Encompass notification"


def _lead(world: World, **kwargs: Any) -> Any:
    return school_client(None, world.person("trust", Role.TRUST_SAFEGUARDING_LEAD), **kwargs)


def _table(body: dict[str, Any], key: str) -> dict[str, Any]:
    return next(t for t in body["tables"] if t["key"] == key)


def test_the_lead_gets_the_pages_figures_for_a_term_with_small_counts_hidden(
    world: World, figures: None
) -> None:
    client = _lead(world)
    response = client.get(URL, {"period": "term:2025-spring"})
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == "Spring term 2025/26 (January 2026 to March 2026)"
    assert body["period_key"] == "term:2025-spring"
    assert [row[:6] for row in _table(body, "schools")["rows"]] == [
        ["Alder Lane Primary", 100, SUPPRESSED, SUPPRESSED, 0, 6],
        ["Birchwood Academy", 200, 20, 10.0, 0, 0],
    ]
    # February's 4 is hidden, and so the term's figure of Alder, whose February it is, exactly
    # as on the page (docs/rules.md, "Small numbers in statistics").
    assert [row[:2] for row in _table(body, "months")["rows"]] == [
        ["Jan 2026", 18],
        ["Feb 2026", SUPPRESSED],
        ["Mar 2026", 12],
    ]
    # Every table, cell for cell, as the page publishes it.
    page = client.get(DASHBOARD, {"period": "term:2025-spring"}).context["stats"]
    assert [t["key"] for t in body["tables"]] == [t.key for t in page.tables]
    for table in page.tables:
        assert _table(body, table.key)["rows"] == [list(row) for row in table.rows]
        assert _table(body, table.key)["total"] == (list(table.total) if table.total else None)


def test_a_period_left_out_is_the_pages_default_and_a_bad_one_is_refused(
    world: World, figures: None
) -> None:
    client = _lead(world)
    default = client.get(URL).json()
    assert default["period"] == "School year 2025/26 (September 2025 to June 2026)"
    # The school year holds February's hidden 4, so its total is hidden as on the page; its
    # months are published one by one.
    assert _table(default, "schools")["total"][2] == SUPPRESSED
    assert ["Jan 2026", 18] in [row[:2] for row in _table(default, "months")["rows"]]
    bad = client.get(URL, {"period": "range:2026-01-01:2026-01-15"})
    assert bad.status_code == 400
    assert "not a period the statistics can show" in " ".join(
        bad.json()["error"]["fields"]["period"]
    )


def test_two_periods_side_by_side_as_on_the_page_and_overlapping_ones_refused(
    world: World, figures: None
) -> None:
    client = _lead(world)
    asked = {"period": "term:2025-spring", "compare": "term:2025-autumn"}
    body = client.get(URL, asked).json()
    assert body["period_key"] == "term:2025-spring"
    assert body["compare_key"] == "term:2025-autumn"
    assert body["period"] == (
        "Spring term 2025/26 (January 2026 to March 2026) compared with "
        "Autumn term 2025/26 (September 2025 to December 2025)"
    )
    # February's 4 stays hidden in the spring term's months, as on that term's own page.
    spring = _table(body, "months-first")
    assert [row[:2] for row in spring["rows"]] == [
        ["Jan 2026", 18],
        ["Feb 2026", SUPPRESSED],
        ["Mar 2026", 12],
    ]
    # Every table the page compares, cell for cell (the page's per-school table has the
    # schools most in need first; the API's has every school by name).
    page = client.get(DASHBOARD, asked).context["stats"]
    assert [t["key"] for t in body["tables"]] == [t.key for t in page.tables]
    for table in page.tables:
        rows = [list(row) for row in table.rows]
        if table.key == "schools":
            assert sorted(_table(body, table.key)["rows"]) == sorted(rows)
        else:
            assert _table(body, table.key)["rows"] == rows
    # Periods sharing a month, or a key that is not a period, are refused, naming the field.
    overlapping = client.get(URL, {"period": "year:2025-26", "compare": "term:2025-spring"})
    assert overlapping.status_code == 400
    assert "shares months with" in " ".join(overlapping.json()["error"]["fields"]["compare"])
    bad = client.get(URL, {"period": "term:2025-spring", "compare": "2025-01-01..2025-02-01"})
    assert bad.status_code == 400
    assert "not a period" in " ".join(bad.json()["error"]["fields"]["compare"])
    # Without a comparison, none is named.
    assert client.get(URL, {"period": "term:2025-spring"}).json()["compare_key"] == ""


def test_one_school_of_the_trust_and_never_another_trusts(
    world: World, school_a: School, school_c: School, figures: None
) -> None:
    client = _lead(world)
    own = client.get(f"{URL}schools/{school_a.pk}/", {"period": "month:2026-04"})
    assert own.status_code == 200 and "Alder Lane Primary" in own.json()["title"]
    for other in (school_c.pk, 999999):
        refused = client.get(f"{URL}schools/{other}/")
        assert refused.status_code == 404
        assert refused.json()["error"]["code"] == "not_found"


def test_encompass_notifications_appear_as_a_count_hidden_when_small(
    world: World, school_a: School, figures: None
) -> None:
    CategoryRollup.objects.create(
        school=school_a,
        month=dt.date(2026, 1, 1),
        category_code="operation-encompass",
        year_group=7,
        concerns=3,
    )
    trust_rollups_rewrite_all()
    january = _lead(world).get(URL, {"period": "month:2026-01"}).json()
    rows = {row[0]: row[1] for row in _table(january, "categories")["rows"]}
    assert rows[ENCOMPASS] == SUPPRESSED
    CategoryRollup.objects.filter(category_code="operation-encompass").update(concerns=9)
    trust_rollups_rewrite_all()
    january = _lead(world).get(URL, {"period": "month:2026-01"}).json()
    rows = {row[0]: row[1] for row in _table(january, "categories")["rows"]}
    assert rows[ENCOMPASS] == 9


def test_school_users_anonymous_and_unverified_leads_are_refused(
    world: World, school_a: School, figures: None
) -> None:
    for person in (world.person("a", Role.DSL), world.person("trust", Role.TRUST_ADMIN)):
        refused = school_client(None, person).get(URL)
        assert refused.status_code == 403
        assert "Alder" not in refused.text
    anonymous = school_client(None, None).get(URL)
    assert anonymous.status_code in (401, 403) and "Alder" not in anonymous.text
    # Password typed, second factor not: not signed in yet.
    unverified = _lead(world, two_factor=False).get(URL)
    assert unverified.status_code == 401 and "Alder" not in unverified.text
    # A school's API key is for its own school's site, never the portal.
    key = make_key(world, "read_records")
    with_key = school_client(None, None).get(URL, HTTP_AUTHORIZATION=f"Bearer {key.token}")
    assert with_key.status_code == 401


def test_another_trusts_lead_sees_only_their_own_trust(world: World, figures: None) -> None:
    other = school_client(None, world.person("other_trust", Role.TRUST_SAFEGUARDING_LEAD))
    body = other.get(URL).json()
    assert "Eastmere" in body["title"]
    names = [row[0] for row in _table(body, "schools")["rows"]]
    assert "Alder Lane Primary" not in names and "Birchwood Academy" not in names


def test_the_portal_schema_and_docs_describe_the_statistics(world: World, db: None) -> None:
    client = _lead(world)
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert set(paths) == {"/api/v1/statistics/", "/api/v1/statistics/schools/{school_id}/"}
    # Signed in as the trust lead, never a school's API key (refused here with a 401).
    assert set(schema.json()["components"]["securitySchemes"]) == {"cookieAuth"}
    assert {
        scheme for path in paths.values() for each in path["get"]["security"] for scheme in each
    } == {"cookieAuth"}
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert school_client(None, None).get("/api/v1/schema/").status_code in (401, 403)
