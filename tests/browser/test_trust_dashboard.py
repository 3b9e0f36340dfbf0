"""The trust's safeguarding lead opens the statistics dashboard: charts, tables with suppressed
cells ("c"), a CSV download, how fresh the figures are, and no child's identity anywhere; then
chooses a term, compares it with the term before and opens one school."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, expect

from safeguarding.services.concerns import concern_record
from tests.browser.conftest import CheckAccessibility, TakeScreenshot
from tests.browser.test_record_a_concern import sign_in
from tests.conftest import World
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role
from trustplatform.statistics.periods import period_choices, previous_period
from trustplatform.statistics.selectors import LONDON
from trustplatform.statistics.services import statistics_rebuild

pytestmark = pytest.mark.browser

NAME_FIRST, NAME_LAST = "Ottilie", "Marchbanks-Quinn"
ACCOUNT = "Ottilie said her brother locks her out of the flat at night."


@pytest.fixture(scope="module")
def upn(world: World, django_db_blocker: object) -> Iterator[str]:
    """Committed for real (the browser talks to the test server): invented concerns in school
    B, a few of them in small groups, and the trust's rollup rebuilt."""
    school = world.school_b
    author = person(world.person("b", Role.STAFF), Role.STAFF)
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        with schema_context(school.schema_name):
            named = make_pupil(NAME_FIRST, NAME_LAST, year_group=9, form="9M")
            concern_record(
                school=school,
                author=author,
                pupil_ids=[named.pk],
                category_ids=category_ids("neglect"),
                account=ACCOUNT,
            )
            for i in range(11):
                pupil = make_pupil(f"Invented{i}", "Dashboard", year_group=10, form="10D")
                concern_record(
                    school=school,
                    author=author,
                    pupil_ids=[pupil.pk],
                    category_ids=category_ids("mental-health"),
                    account="An invented account for the dashboard journey.",
                )
            code = named.upn
        statistics_rebuild(schools=[world.school_a, world.school_b])
    yield code


def test_the_trust_lead_sees_charts_and_suppressed_cells_and_no_identities(  # noqa: PLR0917 - fixtures
    browser: Browser,
    world: World,
    upn: str,
    server_url: str,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
) -> None:
    port = server_url.rsplit(":", 1)[1]
    root = f"http://{settings.BASE_DOMAIN}:{port}"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    sign_in(page, f"{root}/accounts/login/", world.person("trust", Role.TRUST_SAFEGUARDING_LEAD))
    page.goto(f"{root}/portal/statistics/")

    expect(
        page.get_by_role("heading", name="Safeguarding statistics: Northwood Learning Trust")
    ).to_be_visible()
    expect(page.get_by_test_id("freshness")).to_contain_text(re.compile(r"Figures as of \d\d:\d\d"))
    # A chart for each table, and the table under it.
    expect(page.locator("svg.bar-chart").first).to_be_visible()
    assert page.locator("svg.bar-chart").count() >= 4
    schools = page.get_by_role("table", name="Schools most in need of attention")
    expect(schools.get_by_role("rowheader", name="Birchwood Academy")).to_be_visible()
    # The neglect concern is one of a kind: its cell reads "c", and so does its partner cell.
    categories = page.get_by_role("table", name="Concerns by category, whole trust")
    neglect = categories.get_by_role("row", name=re.compile("^Neglect"))
    expect(neglect.get_by_role("cell").first).to_have_text("c")
    assert page.locator("td", has_text=re.compile(r"^c$")).count() >= 2
    screenshot(page, "trust-dashboard")
    check_accessibility(page)

    text = page.content()
    for secret in (NAME_FIRST, NAME_LAST, upn, ACCOUNT, "locks her out"):
        assert secret not in text

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download “Concerns by category, whole trust” as CSV").click()
    csv = download_info.value.path().read_text()
    assert "Neglect,c," in csv
    for secret in (NAME_FIRST, NAME_LAST, upn, ACCOUNT):
        assert secret not in csv

    # Every school is one click away, a page at a time, found by name.
    page.get_by_test_id("all-schools").click()
    expect(page.get_by_role("heading", name="Schools of Northwood Learning Trust")).to_be_visible()
    page.get_by_label("School name").fill("birch")
    page.get_by_role("button", name="Show").click()
    every = page.get_by_role("table", name="Concerns per 100 pupils, by school")
    expect(every.get_by_role("rowheader", name="Birchwood Academy")).to_be_visible()
    expect(every.get_by_role("rowheader", name="Alder Lane Primary")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Pages of schools")).to_contain_text("1 school")
    check_accessibility(page)
    context.close()


def test_the_trust_lead_compares_this_term_with_the_one_before_and_opens_one_school(  # noqa: PLR0917 - fixtures
    browser: Browser,
    world: World,
    upn: str,
    server_url: str,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
) -> None:
    today = timezone.localdate(timezone.now(), LONDON)
    this_term = dict(period_choices(today=today))["Terms"][0]  # the latest term begun
    before = previous_period(this_term, today=today)
    port = server_url.rsplit(":", 1)[1]
    root = f"http://{settings.BASE_DOMAIN}:{port}"
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, f"{root}/accounts/login/", world.person("trust", Role.TRUST_SAFEGUARDING_LEAD))
    page.goto(f"{root}/portal/statistics/")

    page.get_by_label("Period", exact=True).select_option(this_term.key)
    page.get_by_label("Compare with").select_option(before.key)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text(f"compared with {before.label}")).to_be_visible()
    expect(page.get_by_test_id("period-note")).to_contain_text("Counted in whole months")
    schools = page.get_by_role("table", name="Schools most in need of attention")
    expect(schools.get_by_role("columnheader", name="Difference")).to_be_visible()
    # Birchwood's twelve concerns are all this term: none the term before.
    birchwood = schools.get_by_role("row", name=re.compile("^Birchwood Academy"))
    expect(birchwood.get_by_role("cell").nth(1)).to_have_text("12")
    expect(birchwood.get_by_role("cell").nth(2)).to_have_text("0")
    expect(birchwood.get_by_role("cell").nth(3)).to_have_text("+12")
    screenshot(page, "trust-dashboard-compared")
    check_accessibility(page)

    schools.get_by_role("link", name="Birchwood Academy").click()
    expect(
        page.get_by_role("heading", name="Safeguarding statistics: Birchwood Academy")
    ).to_be_visible()
    expect(page.get_by_label("Period", exact=True)).to_have_value(this_term.key)
    categories = page.get_by_role("table", name="Concerns by category, this school")
    expect(categories.get_by_role("row", name=re.compile("^Neglect"))).to_contain_text("c")
    assert "Alder Lane Primary" not in page.content()
    for secret in (NAME_FIRST, NAME_LAST, upn, ACCOUNT):
        assert secret not in page.content()
    screenshot(page, "trust-dashboard-one-school")
    check_accessibility(page)
    context.close()
