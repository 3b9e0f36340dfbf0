"""Each school's subdomain shows that school, in a real browser at a phone's size."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, Response, expect

from tenants.models import School
from tests.browser.conftest import CheckAccessibility, TakeScreenshot
from tests.conftest import PASSWORD, World, school_url
from trustplatform.accounts.models import Role

pytestmark = pytest.mark.browser


def open_page(page: Page, url: str) -> Response:
    response = page.goto(url)
    assert response is not None, f"no response from {url}"
    return response


def main_heading(page: Page) -> Locator:
    return page.get_by_role("main").get_by_role("heading", level=1)


def test_each_school_subdomain_shows_its_own_school_and_its_guidance(
    page: Page,
    world: World,
    server_url: str,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
) -> None:
    schools: list[tuple[School, School]] = [
        (world.school_a, world.school_b),
        (world.school_b, world.school_a),
    ]
    for school, other in schools:
        response = open_page(page, school_url(server_url, school))

        assert response.status == 200
        expect(main_heading(page)).to_have_text(school.name)
        expect(page.locator("body")).not_to_contain_text(other.name)
        screenshot(page, f"{school.slug}-home")
        check_accessibility(page)

    # On school B's site, a member of staff signs in and follows the link to the guidance.
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    expect(main_heading(page)).to_have_text(f"Sign in to {world.school_b.name}")
    check_accessibility(page)
    page.get_by_label("Email address").fill(world.person("b", Role.STAFF).email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="What to record under each category").click()

    expect(page).to_have_url(school_url(server_url, world.school_b, "/guidance/"))
    expect(main_heading(page)).to_have_text("Categories of concern")
    expect(page.get_by_role("banner")).to_contain_text(world.school_b.name)
    expect(page.locator("body")).not_to_contain_text(world.school_a.name)
    screenshot(page, f"{world.school_b.slug}-guidance")
    check_accessibility(page)


def test_an_unknown_subdomain_shows_school_not_found(
    page: Page,
    server_url: str,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
) -> None:
    port = server_url.rsplit(":", 1)[1]
    response = open_page(page, f"http://nosuchschool.localhost:{port}/")

    assert response.status == 404
    expect(main_heading(page)).to_have_text("School not found")
    expect(page.get_by_role("main")).to_contain_text("nosuchschool.localhost")
    screenshot(page, "unknown-school")
    check_accessibility(page)
