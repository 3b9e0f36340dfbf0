"""The body map on a phone: a mark placed by tapping, with its note, and one added from the list
of places with the keyboard only; both on the receipt and the DSL's concern page. A half-filled
concern's marks are kept in its draft and offered back with it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Locator, Page, expect

from safeguarding.models import Draft, Pupil
from tests.browser.conftest import PHONE_VIEWPORT, CheckAccessibility, TakeScreenshot
from tests.browser.test_record_a_concern import sign_in
from tests.conftest import World, school_url
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role

pytestmark = pytest.mark.browser

ACCOUNT = "Flinched when I touched her shoulder; said it was from netball."
# The outline's viewBox, "-10 -18 120 240": where a point of the outline is on the drawing.
VIEW_BOX = (-10.0, -18.0, 120.0, 240.0)


@pytest.fixture(scope="module")
def pupil(world: World, django_db_blocker: object) -> Iterator[Pupil]:
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):  # type: ignore[attr-defined]
        yield enrol(first="Perpetua", last="Lindqvist", serial=77801, year_group=4, form="4L")


def _tap(page: Page, outline: Locator, x: float, y: float) -> None:
    """Taps the outline at the point (x, y) of its own coordinates."""
    box = outline.bounding_box()
    assert box is not None
    left, top, width, height = VIEW_BOX
    outline.tap(
        position={
            "x": (x - left) / width * box["width"],
            "y": (y - top) / height * box["height"],
        }
    )


def test_a_member_of_staff_marks_the_body_map_by_tapping_and_from_the_keyboard(  # noqa: PLR0917 - fixtures
    browser: Browser,
    world: World,
    pupil: Pupil,
    server_url: str,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
) -> None:
    school = world.school_a
    context = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    staff = context.new_page()
    sign_in(
        staff, school_url(server_url, school, "/accounts/login/"), world.person("a", Role.STAFF)
    )
    staff.goto(school_url(server_url, school, "/concerns/new/"))
    staff.get_by_label("Search by name").fill("Perpet")
    staff.get_by_label("Perpetua Lindqvist").check()
    staff.get_by_label("Physical abuse").check()
    staff.get_by_label("What you saw or heard").fill(ACCOUNT)
    staff.get_by_text("Body map (optional)").click()
    front = staff.locator(".body-outline[data-view=front]")
    status = staff.locator("[data-body-map-status]")

    # A tap beside the arm is not a mark.
    _tap(staff, front, 25, 62)
    expect(status).to_contain_text("That is not on the body")
    expect(staff.locator("#body-marks li")).to_have_count(0)

    # A tap on the forearm on the viewer's right: the child's left, facing us.
    _tap(staff, front, 86, 91)
    expect(staff.locator("#body-marks li").first).to_contain_text("1. Front, child's left forearm")
    note = staff.get_by_label("Note on mark 1")
    expect(note).to_be_focused()
    note.fill("bruise, 3 cm, yellowish")
    expect(front.locator(".body-mark-dot")).to_have_count(1)

    # From the keyboard: the list of places, a note, Enter.
    place = staff.get_by_label("Place on the body")
    place.focus()
    staff.keyboard.type("Back: child's left thigh")
    expect(place).to_have_value("back:left_thigh")
    staff.keyboard.press("Tab")
    expect(staff.get_by_label("Note (optional)")).to_be_focused()
    staff.keyboard.type("hand-shaped mark")
    staff.keyboard.press("Enter")
    expect(staff.locator("#body-marks li").nth(1)).to_contain_text("2. Back, child's left thigh")
    expect(staff.get_by_label("Note on mark 2")).to_have_value("hand-shaped mark")
    expect(status).to_contain_text("Mark 2 added: Back, child's left thigh.")
    expect(staff.locator(".body-outline[data-view=back] .body-mark-dot")).to_have_count(1)
    screenshot(staff, "1-body-map-on-the-form")
    check_accessibility(staff)

    staff.get_by_role("button", name="Record concern").click()
    expect(staff.get_by_role("heading", name="Receipt for your concern")).to_be_visible()
    marks = staff.locator(".body-map__marks li")
    expect(marks).to_have_text(
        [
            "1. Front, child's left forearm: bruise, 3 cm, yellowish",
            "2. Back, child's left thigh: hand-shaped mark",
        ]
    )
    screenshot(staff, "2-body-map-on-the-receipt")
    check_accessibility(staff)
    receipt_url = staff.url
    context.close()

    dsl_context = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    dsl = dsl_context.new_page()
    sign_in(dsl, school_url(server_url, school, "/accounts/login/"), world.person("a", Role.DSL))
    dsl.goto(receipt_url.replace("/receipt/", "/"))
    expect(dsl.locator(".body-map__marks li").first).to_have_text(
        "1. Front, child's left forearm: bruise, 3 cm, yellowish"
    )
    screenshot(dsl, "3-body-map-on-the-concern-page")
    check_accessibility(dsl)
    dsl_context.close()


@pytest.fixture(scope="module")
def drafted_pupil(world: World, django_db_blocker: object) -> Iterator[Pupil]:
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):  # type: ignore[attr-defined]
        yield enrol(first="Oriel", last="Ventham", serial=81201, year_group=3, form="3V")


def test_a_half_filled_concern_gets_its_two_marks_back_after_leaving_the_page(  # noqa: PLR0917 - fixtures
    browser: Browser,
    world: World,
    drafted_pupil: Pupil,
    server_url: str,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
    django_db_blocker: object,
) -> None:
    school, author = world.school_a, world.person("a", Role.STAFF)
    with django_db_blocker.unblock(), schema_context(school.schema_name):  # type: ignore[attr-defined]
        Draft.objects.filter(author_id=author.pk).delete()
    context = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    staff = context.new_page()
    sign_in(staff, school_url(server_url, school, "/accounts/login/"), author)
    staff.goto(school_url(server_url, school, "/concerns/new/"))
    staff.get_by_label("Search by name").fill("Oriel")
    staff.get_by_label("Oriel Ventham").check()
    staff.get_by_label("What you saw or heard").fill(ACCOUNT)
    staff.get_by_text("Body map (optional)").click()
    _tap(staff, staff.locator(".body-outline[data-view=front]"), 86, 91)
    staff.get_by_label("Note on mark 1").fill("bruise, 3 cm")
    staff.get_by_label("Place on the body").select_option("back:upper_back")
    staff.get_by_label("Note (optional)").fill("red lines")
    staff.get_by_role("button", name="Add mark").click()
    expect(staff.locator("#body-marks li")).to_have_count(2)
    # Leaving the page saves the draft at once, as the 20-second timer would.
    with staff.expect_response(
        lambda r: "/drafts/" in r.url and r.request.method == "POST"
    ) as saved:
        staff.evaluate("window.dispatchEvent(new Event('pagehide'))")
    assert saved.value.status == 200
    staff.goto(school_url(server_url, school, "/"))

    staff.goto(school_url(server_url, school, "/concerns/new/"))
    expect(staff.get_by_text("You have an unsent draft from")).to_be_visible()
    expect(staff.locator("#body-marks li")).to_have_count(0)
    check_accessibility(staff)
    staff.get_by_role("button", name="Restore it").click()

    expect(staff.get_by_label("What you saw or heard")).to_have_value(ACCOUNT)
    expect(staff.get_by_label("Oriel Ventham")).to_be_checked()
    expect(staff.locator("#body-marks li [data-place]")).to_have_text(
        ["Front, child's left forearm", "Back, upper back"]
    )
    expect(staff.get_by_label("Note on mark 1")).to_have_value("bruise, 3 cm")
    expect(staff.get_by_label("Note on mark 2")).to_have_value("red lines")
    # Redrawn, each on its own view and numbered.
    expect(staff.locator(".body-outline[data-view=front] .body-mark-dot")).to_have_text(["1"])
    expect(staff.locator(".body-outline[data-view=back] .body-mark-dot")).to_have_text(["2"])
    expect(staff.locator("[data-body-map-status]")).to_contain_text("2 marks from the draft")
    screenshot(staff, "draft-marks-restored")
    check_accessibility(staff)

    staff.get_by_label("Physical abuse").check()
    staff.get_by_role("button", name="Record concern").click()
    expect(staff.locator(".body-map__marks li")).to_have_text(
        ["1. Front, child's left forearm: bruise, 3 cm", "2. Back, upper back: red lines"]
    )
    with django_db_blocker.unblock(), schema_context(school.schema_name):  # type: ignore[attr-defined]
        assert not Draft.objects.filter(author_id=author.pk).exists()
    context.close()
