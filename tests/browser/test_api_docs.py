"""The interactive API docs (Swagger UI) draw their operations under the site's
Content-Security-Policy: on a school's site and on the trust portal, with no violation in the
console."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tenants.models import School
from tests.browser.conftest import csp_refusals
from tests.conftest import World, host_of, signed_in_cookie
from trustplatform.accounts.models import Role, User

pytestmark = pytest.mark.browser


def _docs_shown(
    browser: Browser, server_url: str, user: User, school: School | None, operation: str
) -> tuple[list[str], str]:
    port = server_url.rsplit(":", 1)[1]
    site = f"http://{host_of(school)}:{port}/"
    url = f"{site}api/docs/"
    name, value = signed_in_cookie(user, school).split("=", 1)  # type: ignore[arg-type]
    context = browser.new_context()
    # For the whole site: the page fetches its schema from /api/v1/schema/.
    context.add_cookies([{"name": name, "value": value, "url": site}])
    page = context.new_page()
    refused = csp_refusals(page)
    try:
        response = page.goto(url)
        assert response is not None and response.status == 200
        policy = response.headers["content-security-policy"]
        page.locator(".opblock-summary-path", has_text=operation).first.wait_for()
        return refused, policy
    finally:
        context.close()


def test_a_schools_api_docs_show_the_operations_without_breaking_the_csp(
    browser: Browser, world: World, server_url: str, django_db_blocker: object
) -> None:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        refused, policy = _docs_shown(
            browser,
            server_url,
            world.person("a", Role.DSL),
            world.school_a,
            "/api/v1/encompass/notifications/",
        )
    assert refused == []
    # Only inline style attributes are let through, for this page; scripts stay the site's own.
    assert "style-src-attr 'unsafe-inline'" in policy
    assert (
        "script-src 'self'" in policy
        and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    )


def test_the_portals_api_docs_show_the_statistics_without_breaking_the_csp(
    browser: Browser, world: World, server_url: str, django_db_blocker: object
) -> None:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        refused, _ = _docs_shown(
            browser,
            server_url,
            world.person("trust", Role.TRUST_SAFEGUARDING_LEAD),
            None,
            "/api/v1/statistics/",
        )
    assert refused == []
