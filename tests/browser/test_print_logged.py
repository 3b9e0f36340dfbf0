"""The Print button in a real browser: the print reaches the access log, then the browser prints,
under the site's Content Security Policy (no inline script)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Browser

from safeguarding.models import AccessAction, AccessLogEntry, Pupil
from tests.browser.conftest import PHONE_VIEWPORT, csp_refusals
from tests.conftest import World, school_url, signed_in_cookie
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role

pytestmark = pytest.mark.browser

# Counts the calls instead of opening the print dialog, which a headless browser cannot show.
COUNT_PRINTS = "window.print = () => { window.printed = (window.printed || 0) + 1; };"


@pytest.fixture(scope="module")
def pupil(world: World, django_db_blocker: object) -> Iterator[Pupil]:
    # Committed for real: the browser talks to the test server, whose connections see only that.
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):  # type: ignore[attr-defined]
        yield enrol(first="Hesper", last="Tolliver", serial=77101, year_group=5, form="5T")


def _printed(world: World, pupil: Pupil, django_db_blocker: object) -> int:
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):  # type: ignore[attr-defined]
        return AccessLogEntry.objects.filter(action=AccessAction.PRINTED, pupil_id=pupil.pk).count()


def test_the_print_button_logs_the_print_then_prints(
    browser: Browser, world: World, pupil: Pupil, server_url: str, django_db_blocker: object
) -> None:
    school = world.school_a
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        cookie = signed_in_cookie(world.person("a", Role.DSL), school)
    name, value = cookie.split("=", 1)
    context = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    url = school_url(server_url, school, f"/pupils/{pupil.pk}/chronology/")
    context.add_cookies([{"name": name, "value": value, "url": url}])
    page = context.new_page()
    page.add_init_script(COUNT_PRINTS)
    refused = csp_refusals(page)
    try:
        page.goto(url)
        before = _printed(world, pupil, django_db_blocker)

        page.get_by_role("button", name="Print").click()
        # Polled from outside the page: waiting inside it would evaluate a string, which the CSP
        # (rightly) refuses.
        for _ in range(100):
            if page.evaluate("window.printed || 0"):
                break
            page.wait_for_timeout(100)
        assert page.evaluate("window.printed || 0") == 1

        assert _printed(world, pupil, django_db_blocker) == before + 1
        assert page.url == url  # the page stays as it was
        assert refused == []
    finally:
        context.close()
