"""A long chronology in a real browser: the latest 100 entries, then "Load older entries" puts
the earlier ones above them in place, with keyboard focus on the first entry loaded, under the
site's Content Security Policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Browser

from safeguarding.models import ChronologyEntry, Pupil
from safeguarding.services.concerns import contact_record
from tests.browser.conftest import PHONE_VIEWPORT, CheckAccessibility, csp_refusals
from tests.conftest import World, school_url, signed_in_cookie
from tests.safeguarding.conftest import person
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def pupil(world: World, django_db_blocker: object) -> Iterator[tuple[Pupil, list[int]]]:
    # Committed for real: the browser talks to the test server, whose connections see only that.
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):  # type: ignore[attr-defined]
        child = enrol(first="Rosalind", last="Quickthorn", serial=77901, year_group=5, form="5Q")
        dsl = person(world.person("a", Role.DSL), Role.DSL)
        start = timezone.now() - dt.timedelta(days=20)
        ids = [
            contact_record(
                pupil=child,
                author=dsl,
                kind=ChronologyEntry.Kind.MEETING,
                occurred_at=start + dt.timedelta(hours=n),
                summary=f"Review meeting {n:03d}.",
                participants="DSL, class teacher",
            ).pk
            for n in range(104)
        ]
        yield child, ids


def test_load_older_entries_appends_in_place_and_moves_focus(  # noqa: PLR0917 - fixtures
    browser: Browser,
    world: World,
    pupil: tuple[Pupil, list[int]],
    server_url: str,
    django_db_blocker: object,
    check_accessibility: CheckAccessibility,
) -> None:
    child, ids = pupil
    school = world.school_a
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        cookie = signed_in_cookie(world.person("a", Role.DSL), school)
    name, value = cookie.split("=", 1)
    context = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    url = school_url(server_url, school, f"/pupils/{child.pk}/chronology/")
    context.add_cookies([{"name": name, "value": value, "url": url}])
    page = context.new_page()
    refused = csp_refusals(page)
    try:
        page.goto(url)
        entries = page.locator("#chronology-entries > li.entry")
        assert entries.count() == 100
        check_accessibility(page)

        page.get_by_role("link", name="Load older entries").click()
        # Waited for from outside the page: waiting inside it evaluates a string, which the CSP
        # refuses.
        page.locator(f"#entry-{ids[0]}").wait_for()

        assert entries.count() == 104
        assert page.url == url  # in place, not a new page
        shown = [int(i.split("-")[1]) for i in entries.evaluate_all("els => els.map(e => e.id)")]
        assert shown == ids
        assert page.evaluate("document.activeElement.id") == f"entry-{ids[0]}"
        assert page.get_by_role("link", name="Load older entries").count() == 0
        check_accessibility(page)
        assert refused == []
    finally:
        context.close()
