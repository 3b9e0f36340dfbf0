"""The DSL's way around the school site in a real browser, on a desktop and on a 390 px phone: the
dashboard shows a new concern first thing, its screening form is one click away, the menu folds
on a phone, and the pupil search keeps the name out of the URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, ViewportSize, expect

from safeguarding.models import Concern
from safeguarding.services.concerns import concern_record
from tests.browser.conftest import PHONE_VIEWPORT, CheckAccessibility, TakeScreenshot
from tests.browser.test_record_a_concern import sign_in
from tests.conftest import World, school_url
from tests.safeguarding.conftest import category_ids, person
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def concern(world: World, django_db_blocker: object) -> Iterator[Concern]:
    # Committed for real: the browser talks to the test server, whose connections see only that.
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):  # type: ignore[attr-defined]
        pupil = enrol(first="Briony", last="Castellane", serial=77301, year_group=4, form="4C")
        yield concern_record(
            school=world.school_a,
            author=person(world.person("a", Role.STAFF), Role.STAFF),
            pupil_ids=[pupil.pk],
            category_ids=category_ids("neglect"),
            account="Came to school in the same clothes all week.",
        )


def _no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE_VIEWPORT], ids=["desktop", "phone"])
def test_the_dsl_signs_in_and_reaches_a_new_concerns_screening_in_two_clicks(  # noqa: PLR0917 - fixtures
    browser: Browser,
    world: World,
    concern: Concern,
    server_url: str,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
    viewport: ViewportSize,
) -> None:
    phone = viewport == PHONE_VIEWPORT
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
    page = context.new_page()
    try:
        school = world.school_a
        sign_in(
            page, school_url(server_url, school, "/accounts/login/"), world.person("a", Role.DSL)
        )
        page.goto(school_url(server_url, school, "/"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
        # The first section of the dashboard is what waits for screening, with the new concern.
        first_section = page.locator(".dashboard-section").first
        expect(first_section).to_have_attribute("id", "awaiting-screening")
        link = first_section.get_by_role("link", name=f"C{concern.pk}: Briony Castellane")
        expect(link).to_be_visible()
        expect(first_section).to_contain_text("Screening due")
        assert _no_horizontal_scroll(page)
        screenshot(page, "1-dashboard")
        check_accessibility(page)

        link.click()  # the first click

        expect(page).to_have_url(school_url(server_url, school, f"/concerns/{concern.pk}/"))
        expect(page.get_by_role("heading", name="Screen this concern")).to_be_visible()
        expect(page.get_by_role("button", name="Save screening")).to_be_visible()
        assert _no_horizontal_scroll(page)
        screenshot(page, "2-screening")

        menu_link = page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Concerns", exact=True
        )
        if phone:
            # On a phone the menu folds behind its button, and opens with it.
            expect(menu_link).to_be_hidden()
            page.get_by_role("button", name="Menu").click()
            expect(page.get_by_role("button", name="Menu")).to_have_attribute(
                "aria-expanded", "true"
            )
        expect(menu_link).to_be_visible()
        assert _no_horizontal_scroll(page)
        screenshot(page, "3-menu")
        check_accessibility(page)

        # The pupil search: the name is posted, never put in the URL.
        page.get_by_label("Find a pupil").fill("Castellane")
        page.get_by_role("search", name="Pupil search").get_by_role("button", name="Search").click()
        expect(page.get_by_role("link", name="Castellane, Briony")).to_be_visible()
        assert "Castellane" not in page.url
        assert _no_horizontal_scroll(page)
        check_accessibility(page)
    finally:
        context.close()
