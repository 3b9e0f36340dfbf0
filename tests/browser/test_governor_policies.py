"""A governor, in a real browser: the policy register with its review dates and overdue badge,
and the same "not found" page on every route that leads to a child's records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from http import HTTPStatus

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import Browser, expect

from tests.browser.conftest import CheckAccessibility, TakeScreenshot
from tests.browser.test_record_a_concern import sign_in
from tests.conftest import World, school_url
from trustplatform.accounts.models import Role
from trustplatform.policies.models import Policy, PolicyKind

pytestmark = pytest.mark.browser

# Pages of the safeguarding area every member may open: the school's home page and the category
# guidance (no child data in either), and the member's own alert list (alerts go to the DSL,
# deputies and headteacher only; a governor's is empty).
NOT_CHILD_ROUTES = frozenset({"home", "category_guidance", "alerts"})
UUID_ONE = "00000000-0000-0000-0000-000000000001"


@pytest.fixture(scope="module")
def policies(world: World, django_db_blocker: object) -> Iterator[list[Policy]]:
    # Committed for real: the browser talks to the test server, whose connections see only that.
    today = dt.date.today()  # noqa: DTZ011 - the page counts in the local date; a day is fine
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        made = [
            Policy.objects.create(
                school=world.school_a,
                title="Use of the safeguarding records system",
                kind=PolicyKind.RECORDS_SYSTEM,
                owner="Designated Safeguarding Lead",
                approving_body="Full governing body",
                last_reviewed_on=today - dt.timedelta(days=400),
                next_review_due=today - dt.timedelta(days=35),
            ),
            Policy.objects.create(
                school=world.school_a,
                title="Online safety",
                kind=PolicyKind.ONLINE_SAFETY,
                owner="Computing lead",
                approving_body="Full governing body",
                last_reviewed_on=today - dt.timedelta(days=100),
                next_review_due=today + dt.timedelta(days=265),
            ),
        ]
        yield made
        for policy in made:
            policy.delete()


# GET, and for a POST-only route (405) a POST with the CSRF token htmx carries on every page.
FETCH_STATUS = """async (path) => {
  const options = {credentials: "same-origin", redirect: "manual"};
  let response = await fetch(path, options);
  if (response.status === 405) {
    const headers = JSON.parse(document.body.getAttribute("hx-headers"));
    response = await fetch(path, {...options, method: "POST", headers});
  }
  return response.status;
}"""


def child_routes() -> list[str]:
    """Every path of the safeguarding area but the ones above, with 1 for each id."""
    paths: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str, inside: bool) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route, inside or pattern.namespace == "safeguarding")
            elif inside and pattern.name not in NOT_CHILD_ROUTES:
                for converter in ("<int:", "<uuid:", "<str:", "<slug:"):
                    while converter in route:
                        start = route.index(converter)
                        end = route.index(">", start)
                        value = (
                            "00000000-0000-0000-0000-000000000001" if "uuid" in converter else "1"
                        )
                        route = route[:start] + value + route[end + 1 :]
                paths.append("/" + route.lstrip("^"))

    walk(get_resolver("trustplatform.urls_tenant").url_patterns, "", inside=False)
    return sorted(set(paths))


def test_a_governor_sees_review_dates_and_an_overdue_badge_and_no_child_route(  # noqa: PLR0917 - fixtures
    browser: Browser,
    world: World,
    policies: list[Policy],
    server_url: str,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
) -> None:
    school = world.school_a
    governor = world.person("a", Role.GOVERNOR)
    assert not governor.has_two_factor  # governance only: a password is enough
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, school_url(server_url, school, "/accounts/login/"), governor)

    page.goto(school_url(server_url, school, "/policies/"))
    expect(page.get_by_role("heading", name="Policy register")).to_be_visible()
    overdue_row = page.get_by_role("row", name="Use of the safeguarding records system")
    expect(overdue_row.get_by_text("Overdue", exact=True)).to_be_visible()
    expect(overdue_row).to_contain_text("35 days overdue")
    due = policies[0].next_review_due
    expect(overdue_row).to_contain_text(f"{due.day} {due:%B %Y}")
    expect(page.get_by_role("row", name="Online safety")).to_contain_text("Up to date")
    screenshot(page, "1-governor-register")
    check_accessibility(page)

    page.get_by_role("link", name="Use of the safeguarding records system").click()
    expect(page.get_by_role("link", name="Record a completed review")).to_be_visible()
    check_accessibility(page)

    routes = child_routes()
    assert len(routes) > 20, routes
    for path in routes:
        # fetch() from the signed-in page: the governor's own cookies and CSRF token, as the
        # page's forms would send them. A redirect counts as a failure (status 0 here).
        status = page.evaluate(FETCH_STATUS, path)
        assert status == HTTPStatus.NOT_FOUND, f"{path}: {status}"
    page.goto(school_url(server_url, school, "/pupils/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("not found", ignore_case=True)
    screenshot(page, "2-governor-child-route-not-found")
    context.close()
