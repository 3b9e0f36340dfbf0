"""The DSL's way around the school site in a real browser, on a desktop and on a 390 px phone: the
dashboard shows a new concern first thing, its screening form is one click away, the menu folds
on a phone, and the pupil search keeps the name out of the URL. And the DSL's working morning on
a desktop, from that concern on the dashboard to a filtered PDF of the child's chronology, read
back and looked at."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from PIL import Image
from playwright.sync_api import Browser, Page, ViewportSize, expect

from safeguarding.models import Concern
from safeguarding.services.concerns import concern_record
from tests.browser.conftest import (
    PHONE_VIEWPORT,
    SCREENSHOT_DIR,
    CheckAccessibility,
    TakeScreenshot,
)
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


MORNING_ACCOUNT = 'Said "Mum\'s boyfriend pushed me into the door" and held her left arm.'
MARKS = (
    ("Front, child's left forearm", "bruise, 3 cm, purple"),
    ("Back, upper back", "two red lines across"),
)


@pytest.fixture(scope="module")
def morning_concern(world: World, django_db_blocker: object) -> Iterator[Concern]:
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):  # type: ignore[attr-defined]
        pupil = enrol(first="Marisol", last="Trenchard", serial=81202, year_group=6, form="6M")
        yield concern_record(
            school=world.school_a,
            author=person(world.person("a", Role.STAFF), Role.STAFF),
            pupil_ids=[pupil.pk],
            category_ids=category_ids("physical-abuse"),
            account=MORNING_ACCOUNT,
            location="Year 6 cloakroom",
            action_taken="Sat with her and walked her to the DSL's office.",
            told_dsl_in_person=True,
            body_map=[
                {"view": "front", "x": "86", "y": "91", "note": MARKS[0][1]},
                {"view": "back", "region": "upper_back", "note": MARKS[1][1]},
            ],
            occurred_at=timezone.now() - dt.timedelta(minutes=5),
        )


def _pdf_words(path: Path) -> list[tuple[str, float, float, float, float]]:
    """Each word of the PDF's first page with its box in points, as pdftotext -bbox reads it."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [
        (m["word"], float(m["x0"]), float(m["y0"]), float(m["x1"]), float(m["y1"]))
        for m in re.finditer(
            r'<word xMin="(?P<x0>[\d.]+)" yMin="(?P<y0>[\d.]+)" xMax="(?P<x1>[\d.]+)" '
            r'yMax="(?P<y1>[\d.]+)">(?P<word>[^<]*)</word>',
            html,
        )
    ]


def test_the_dsls_morning_from_the_dashboard_to_a_filtered_pdf_with_the_body_map(  # noqa: PLR0917 - one journey; fixtures
    browser: Browser,
    world: World,
    morning_concern: Concern,
    server_url: str,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
    export_worker: None,
    tmp_path: Path,
) -> None:
    school, dsl_user = world.school_a, world.person("a", Role.DSL)
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    try:
        sign_in(page, school_url(server_url, school, "/accounts/login/"), dsl_user)
        page.goto(school_url(server_url, school, "/"))
        first_section = page.locator(".dashboard-section").first
        expect(first_section).to_have_attribute("id", "awaiting-screening")
        link = first_section.get_by_role("link", name=f"C{morning_concern.pk}: Marisol Trenchard")
        expect(link).to_be_visible()
        check_accessibility(page)

        # Screened in two clicks from the dashboard: the concern, then Save screening.
        link.click()
        expect(page.get_by_text(MORNING_ACCOUNT)).to_be_visible()
        check_accessibility(page)
        page.get_by_label("High").check()
        page.get_by_label("Why this level").fill("Injury attributed to an adult at home.")
        page.get_by_role("button", name="Save screening").click()
        expect(page.get_by_text("Screening recorded.")).to_be_visible()
        check_accessibility(page)

        # The child's page, found by the search in the menu.
        page.get_by_label("Find a pupil").fill("Trenchard")
        page.get_by_role("search", name="Pupil search").get_by_role("button", name="Search").click()
        check_accessibility(page)
        page.get_by_role("link", name="Trenchard, Marisol").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Marisol Trenchard")
        check_accessibility(page)
        page.get_by_role("link", name="The full chronology").click()
        check_accessibility(page)

        # A call, at the time the form opens with.
        page.get_by_role("link", name="a telephone call").click()
        check_accessibility(page)
        opened_at = page.get_by_label("Date and time").input_value()
        assert opened_at[:10] == time.strftime("%Y-%m-%d")
        page.get_by_label("Call: agency").fill("Children's social care")
        page.get_by_label("Call: with whom").fill("Duty social worker Ansel Moreby")
        page.get_by_label("Summary").fill("Referral made; a strategy discussion is arranged.")
        page.get_by_role("button", name="Add to the chronology").click()
        call = page.locator("ol.chronology > li", has_text="Duty social worker Ansel Moreby")
        expect(call).to_be_visible()
        check_accessibility(page)

        # Filtered to the concerns: the call and the screening are left out.
        page.get_by_label("Kind").select_option("concern")
        page.get_by_role("button", name="Filter").click()
        entries = page.locator("ol.chronology > li")
        expect(entries).to_have_count(1)
        expect(entries.first).to_contain_text(MORNING_ACCOUNT)
        check_accessibility(page)
        page.get_by_role("button", name="Export as PDF").click()
        expect(page.locator("#x-kind")).to_have_value("concern")
        check_accessibility(page)
        page.get_by_role("button", name="Make the PDF").click()
        expect(page.locator("#export-status")).to_contain_text("The PDF is ready", timeout=60_000)
        check_accessibility(page)
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Download the PDF").click()
        pdf = tmp_path / "chronology.pdf"
        pdf.write_bytes(download_info.value.path().read_bytes())
    finally:
        context.close()

    text = " ".join(
        subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
    )
    # Only the filtered entries...
    assert "Duty social worker" not in text and "Screened" not in text
    assert text.count("Concern recorded") == 1
    # ... and every field of the one it holds.
    occurred = timezone.localtime(morning_concern.occurred_at)
    recorded = timezone.localtime(morning_concern.recorded_at)
    staff_name = world.person("a", Role.STAFF).full_name
    for expected in (
        "Concern recorded",
        "Physical abuse",
        f"Happened {occurred:%a} {occurred.day} {occurred:%b %Y, %H:%M}",
        f"Recorded {recorded:%a} {recorded.day} {recorded:%b %Y, %H:%M} by {staff_name}",
        MORNING_ACCOUNT,
        "Where: Year 6 cloakroom",
        "What was done: Sat with her and walked her to the DSL's office.",
        "Told the DSL in person: yes",
        "(Member of staff) · Recorded directly",
        f"Written by {staff_name}",
        "Only entries of kind Concern",
        "Body map, 2 marks",
        *(f"{n}. {place}: {note}" for n, (place, note) in enumerate(MARKS, start=1)),
        "Marisol Trenchard",
    ):
        assert expected in text, f"{expected!r} missing from the PDF"

    # The map is drawn: the page rendered as a picture has the outline below "Body map".
    words = _pdf_words(pdf)
    heading = next(w for w in words if w[0] == "Body" and any(v[0] == "map," for v in words))
    first_mark = next(w for w in words if w[0] == "1." and w[2] > heading[2])
    artifacts = Path(SCREENSHOT_DIR).parent
    artifacts.mkdir(parents=True, exist_ok=True)
    prefix = artifacts / "dsl-morning-chronology"
    dpi = 100
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(prefix),
        ],
        check=True,
    )
    image = Image.open(f"{prefix}.png").convert("RGB")
    scale = dpi / 72
    top, bottom = int(heading[4] * scale), int(first_mark[2] * scale)
    assert bottom - top > 50, "no room for the drawing between the heading and the marks"
    area = image.crop((0, top, image.width, bottom))
    pixels = list(area.getdata())
    inked = sum(1 for r, g, b in pixels if r + g + b < 600)
    red = sum(1 for r, g, b in pixels if r > 180 and g < 100 and b < 100)
    assert inked > len(pixels) // 100, f"the outline is not drawn: {inked} of {len(pixels)} inked"
    assert red > 0, "the marks' red dots are not drawn"
