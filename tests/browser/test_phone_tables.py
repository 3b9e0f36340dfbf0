"""On a phone the DSL's tables become cards: nothing runs off the side of a 390 px screen, and
every cell still says which column it belongs to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Browser

from safeguarding.models import Pupil
from tests.browser.conftest import PHONE_VIEWPORT, CheckAccessibility, TakeScreenshot
from tests.conftest import World, school_url, signed_in_cookie
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role

pytestmark = pytest.mark.browser

# The DSL's pages that list things in a table, with a word each table's cards must show.
TABLE_PAGES = [
    ("/pupils/", "Year group"),
    ("/staff/", "Role"),
    ("/categories/", "Sensitivity"),
]


@pytest.fixture(scope="module")
def pupils(world: World, django_db_blocker: object) -> Iterator[list[Pupil]]:
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):  # type: ignore[attr-defined]
        yield [
            enrol(first="Ottoline", last="Marchbanks-Featherstonehaugh", serial=77701),
            enrol(first="Peregrine", last="Quillfeather", serial=77702),
        ]


@pytest.mark.parametrize(("path", "heading"), TABLE_PAGES)
def test_a_table_fits_a_phone_as_cards_that_name_their_columns(  # noqa: PLR0917 - fixtures
    browser: Browser,
    world: World,
    pupils: list[Pupil],
    server_url: str,
    django_db_blocker: object,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
    path: str,
    heading: str,
) -> None:
    school = world.school_a
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        cookie = signed_in_cookie(world.person("a", Role.DSL), school)
    name, value = cookie.split("=", 1)
    context = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    url = school_url(server_url, school, path)
    context.add_cookies([{"name": name, "value": value, "url": url}])
    page = context.new_page()
    try:
        page.goto(url)
        table = page.locator("table.table").first
        assert table.is_visible()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} runs {overflow} px off a phone's screen"
        labels = table.locator("tbody td[data-label]")
        assert labels.count() > 0
        assert heading in labels.evaluate_all("cells => cells.map(c => c.dataset.label)")
        # Each card shows its cells' labels on screen, in place of the table's header row.
        shown = labels.first.evaluate("cell => getComputedStyle(cell, '::before').content")
        assert shown.strip('"') == labels.first.get_attribute("data-label")
        assert table.locator("thead").evaluate("head => head.getBoundingClientRect().height") <= 1
        screenshot(page, f"phone-table-{path.strip('/').replace('/', '-')}")
        check_accessibility(page)
    finally:
        context.close()
