"""A child's page in a real browser: the DSL sets "Child in need" with a date and sees it on the
page and in the chronology (desktop and phone); and choosing a pupil while recording a concern
keeps the keyboard where it was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, ViewportSize, expect

from safeguarding.models import Pupil
from tests.browser.conftest import PHONE_VIEWPORT, CheckAccessibility, TakeScreenshot
from tests.browser.test_record_a_concern import sign_in
from tests.conftest import World, school_url
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def pupils(world: World, django_db_blocker: object) -> Iterator[dict[str, Pupil]]:
    # Committed for real: the browser talks to the test server, whose connections see only that.
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):  # type: ignore[attr-defined]
        yield {
            "desktop": enrol(first="Ottilie", last="Brambleby", serial=77501, year_group=4),
            "phone": enrol(first="Casimir", last="Brambleby", serial=77502, year_group=6),
            "picker": enrol(first="Philippa", last="Quennell", serial=77503, year_group=3),
        }


@pytest.mark.parametrize(("screen", "role"), [("desktop", Role.DSL), ("phone", Role.DEPUTY_DSL)])
def test_the_dsl_sets_child_in_need_with_a_date_and_sees_it_on_the_page_and_in_the_chronology(  # noqa: PLR0917 - fixtures
    browser: Browser,
    world: World,
    pupils: dict[str, Pupil],
    server_url: str,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
    screen: str,
    role: Role,
) -> None:
    pupil = pupils[screen]
    school = world.school_a
    context = (
        browser.new_context(viewport=DESKTOP, locale="en-GB")
        if screen == "desktop"
        else browser.new_context(
            viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True, locale="en-GB"
        )
    )
    page = context.new_page()
    try:
        sign_in(page, school_url(server_url, school, "/accounts/login/"), world.person("a", role))
        page.goto(school_url(server_url, school, "/pupils/"))
        page.get_by_role("link", name=f"{pupil.last_name}, {pupil.first_name}").click()
        expect(page.get_by_role("heading", name=pupil.display_name, level=1)).to_be_visible()
        check_accessibility(page)
        for section in ("Flags", "Chronology", "Concerns", "Documents", "Information sharing"):
            expect(page.get_by_role("heading", name=section, level=2)).to_be_visible()

        began = timezone.localdate() - dt.timedelta(days=20)
        flag = page.locator("details", has_text="Set “Child in need”")
        flag.locator("summary").click()
        flag.get_by_label("From").fill(began.isoformat())
        flag.get_by_label("Note (optional)").fill("Plan agreed at the meeting.")
        screenshot(page, f"{screen}-1-setting")
        check_accessibility(page)
        flag.get_by_role("button", name="Set “Child in need”").click()

        since = f"{began.day} {began:%B %Y}"
        row = page.locator("#flag-table tr", has_text="Child in need")
        expect(row).to_contain_text(f"Yes, since {since}")
        expect(
            page.get_by_text("Child in need is set; the change is in the chronology.")
        ).to_be_visible()
        expect(page.get_by_text(f"Child in need: set from {since}")).to_be_visible()
        screenshot(page, f"{screen}-2-set")
        check_accessibility(page)

        page.get_by_role("link", name="The full chronology").click()
        expect(page.get_by_text(f"Child in need: set from {since}")).to_be_visible()
        expect(page.get_by_text("Plan agreed at the meeting.")).to_be_visible()
        screenshot(page, f"{screen}-3-chronology")
    finally:
        context.close()


def test_choosing_a_pupil_with_the_keyboard_keeps_focus_on_the_choice_and_announces_it(
    browser: Browser,
    world: World,
    pupils: dict[str, Pupil],
    server_url: str,
    check_accessibility: CheckAccessibility,
) -> None:
    pupil = pupils["picker"]
    school = world.school_a
    context = browser.new_context(
        viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True, locale="en-GB"
    )
    page = context.new_page()
    try:
        sign_in(
            page,
            school_url(server_url, school, "/accounts/login/"),
            world.person("a", Role.STAFF),
        )
        page.goto(school_url(server_url, school, "/concerns/new/"))
        page.get_by_label("Search by name").focus()
        page.keyboard.type("Philip")
        result = page.locator("#pupil-results").get_by_label(pupil.display_name)
        expect(result).to_be_visible()
        page.keyboard.press("Tab")
        expect(result).to_be_focused()
        page.keyboard.press("Space")

        chosen = page.locator("#chosen-pupils").get_by_label(pupil.display_name)
        expect(chosen).to_be_checked()
        # The keyboard stays on the choice, not thrown back to the top of the page.
        focused = page.evaluate(
            "() => [document.activeElement.name, document.activeElement.value,"
            " !!document.activeElement.closest('#chosen-pupils')]"
        )
        assert focused == ["pupils", str(pupil.pk), True]
        expect(page.get_by_role("status").filter(has_text="chosen")).to_have_text(
            f"{pupil.display_name} chosen."
        )
        # The next key press goes on to the search for another pupil.
        page.keyboard.press("Tab")
        expect(page.get_by_label("Search by name")).to_be_focused()
        check_accessibility(page)
    finally:
        context.close()
