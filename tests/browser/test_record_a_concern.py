"""The heart of the product in a real browser: a concern from a member of staff's phone to the
DSL's chronology and its PDF export. Screenshots of each step land in test-artifacts/."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import pyotp
import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from safeguarding.models import Pupil
from tests.browser.conftest import PHONE_VIEWPORT, CheckAccessibility, TakeScreenshot
from tests.conftest import PASSWORD, World, school_url
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role, User

pytestmark = pytest.mark.browser

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
ACCOUNT = 'Asked about the bruise on her arm, she said "it was when Dad grabbed me".'


@pytest.fixture(scope="module")
def pupil(world: World, django_db_blocker: object) -> Iterator[Pupil]:
    # Committed for real: the browser talks to the test server, whose connections see only that.
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):  # type: ignore[attr-defined]
        yield enrol(first="Wrenna", last="Halloway", serial=77001, year_group=5, form="5W")


# The last TOTP step each user signed in with here: a code is accepted once only.
_used_steps: dict[int, int] = {}


def _fresh_code(user: User) -> str:
    step = int(time.time() // 30) + 1  # the next step is accepted too (clock drift)
    if step <= _used_steps.get(user.pk, 0):
        time.sleep(30 - time.time() % 30 + 0.5)
        step = int(time.time() // 30) + 1
    _used_steps[user.pk] = step
    return str(pyotp.TOTP(user.totp_secret).at(step * 30))


def sign_in(page: Page, url: str, user: User) -> None:
    page.goto(url)
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/accounts/two-factor/" in page.url:
        page.get_by_label("Code from your authenticator app, or a recovery code").fill(
            _fresh_code(user)
        )
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        assert "/accounts/two-factor/" not in page.url, "the two-factor code was refused"


def test_staff_records_a_concern_and_the_dsl_builds_the_chronology_and_exports_it(  # noqa: PLR0917 - fixtures
    browser: Browser,
    world: World,
    pupil: Pupil,
    server_url: str,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
    export_worker: None,
) -> None:
    school = world.school_a
    # --- a member of staff, on a phone -----------------------------------------------------
    staff_context = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    staff = staff_context.new_page()
    sign_in(
        staff, school_url(server_url, school, "/accounts/login/"), world.person("a", Role.STAFF)
    )
    staff.goto(school_url(server_url, school, "/concerns/new/"))
    check_accessibility(staff)
    staff.get_by_label("Search by name").fill("Wren")
    staff.get_by_label("Wrenna Halloway").check()
    staff.get_by_label("Physical abuse").check()
    staff.get_by_label("Where").fill("Year 5 classroom")
    staff.get_by_label("What you saw or heard").fill(ACCOUNT)
    staff.get_by_label("Attach a photo of a note or a document (optional)").set_input_files(
        {"name": "handwritten-note.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    staff.get_by_text("Body map (optional)").click()
    staff.get_by_label("Place on the body").select_option("front:right_forearm")
    staff.get_by_role("button", name="Add mark").click()
    expect(staff.get_by_text("Mark 1 added: Front, child's right forearm.")).to_be_visible()
    screenshot(staff, "1-staff-form")
    staff.get_by_role("button", name="Record concern").click()
    expect(staff.get_by_role("heading", name="Receipt for your concern")).to_be_visible()
    expect(staff.get_by_text(ACCOUNT)).to_be_visible()
    screenshot(staff, "2-staff-receipt")
    check_accessibility(staff)
    staff_context.close()

    # --- the DSL ---------------------------------------------------------------------------
    dsl_context = browser.new_context(viewport={"width": 1280, "height": 900})
    dsl = dsl_context.new_page()
    sign_in(dsl, school_url(server_url, school, "/accounts/login/"), world.person("a", Role.DSL))
    dsl.goto(school_url(server_url, school, "/alerts/"))
    expect(dsl.get_by_text("A new concern needs screening").first).to_be_visible()
    screenshot(dsl, "3-dsl-alerts")
    dsl.get_by_role("link", name="open concern").first.click()
    expect(dsl.get_by_text(ACCOUNT)).to_be_visible()
    dsl.get_by_label("Medium").check()
    dsl.get_by_label("Why this level").fill("Disclosure of physical harm by a parent.")
    dsl.get_by_role("button", name="Save screening").click()
    expect(dsl.get_by_text("Screening recorded.")).to_be_visible()
    dsl.get_by_text("Add an action").click()
    dsl.get_by_label("Action", exact=True).select_option("referral_social_care")
    dsl.get_by_label("Description").fill("Referral to the children's services front door.")
    dsl.get_by_role("button", name="Add action").click()
    expect(dsl.get_by_text("Referral to children's social care").first).to_be_visible()
    screenshot(dsl, "4-dsl-case")
    check_accessibility(dsl)

    dsl.goto(school_url(server_url, school, f"/pupils/{pupil.pk}/chronology/"))
    dsl.get_by_role("link", name="a telephone call").click()
    # The form opens on a telephone call, at the time it is now.
    expect(dsl.get_by_label("Telephone call or meeting")).to_have_value("phone_call")
    assert dsl.get_by_label("Date and time").input_value()[:10] == time.strftime("%Y-%m-%d")
    dsl.get_by_label("Call: agency").fill("Children's social care")
    dsl.get_by_label("Call: with whom").fill("Duty social worker")
    dsl.get_by_label("Summary").fill("Referral discussed; strategy discussion today.")
    dsl.get_by_role("button", name="Add to the chronology").click()

    dsl.goto(school_url(server_url, school, f"/pupils/{pupil.pk}/documents/upload/"))
    dsl.get_by_label("File").set_input_files(
        {"name": "strategy-meeting-notes.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    dsl.get_by_label("What is this document?").fill("Notes of the strategy discussion")
    dsl.get_by_role("button", name="Upload").click()

    dsl.goto(school_url(server_url, school, f"/pupils/{pupil.pk}/chronology/"))
    entries = dsl.locator("ol.chronology > li")
    texts = entries.all_inner_texts()
    joined = "\n".join(texts)
    for expected in (
        "Concern recorded: Physical abuse",
        "Screened: Medium level",
        "Referral to children's social care",
        "Telephone call with Duty social worker",
        "Notes of the strategy discussion",
    ):
        assert expected in joined, f"{expected!r} missing from the chronology"
    assert joined.index("Concern recorded") < joined.index("Screened")
    screenshot(dsl, "5-dsl-chronology")
    check_accessibility(dsl)

    # --- the PDF export --------------------------------------------------------------------
    dsl.get_by_role("button", name="Export as PDF").click()
    dsl.get_by_role("button", name="Make the PDF").click()
    # Made by the worker; the page follows its progress and then offers the file.
    expect(dsl.locator("#export-status")).to_contain_text("The PDF is ready", timeout=60_000)
    with dsl.expect_download() as download_info:
        dsl.get_by_role("link", name="Download the PDF").click()
    pdf = PdfReader(io.BytesIO(download_info.value.path().read_bytes()))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Concern recorded" in text
    assert "Telephone call with Duty social worker" in text
    assert "Chronology chain head" in text
    screenshot(dsl, "6-dsl-export")
    dsl_context.close()


def test_a_transcribed_paper_form_keeps_its_original_author_and_time(
    browser: Browser, world: World, pupil: Pupil, server_url: str, screenshot: TakeScreenshot
) -> None:
    school = world.school_a
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    dsl = context.new_page()
    sign_in(dsl, school_url(server_url, school, "/accounts/login/"), world.person("a", Role.DSL))
    dsl.goto(school_url(server_url, school, "/concerns/new/"))
    dsl.get_by_label("Search by name").fill("Halloway")
    dsl.get_by_label("Wrenna Halloway").check()
    dsl.get_by_label("Neglect").check()
    dsl.get_by_label("When it happened").fill("2026-11-23T12:40")
    dsl.get_by_label("why is it recorded now?").fill("Written on paper during the network outage")
    dsl.get_by_label("What you saw or heard").fill("Came to school hungry; ate two breakfasts.")
    dsl.get_by_label("How it reached you").select_option("paper_form")
    dsl.get_by_label("Paper form: written by").fill("Ottoline Varga (lunchtime supervisor)")
    dsl.get_by_label("Paper form: written at").fill("2026-11-23T12:55")
    dsl.get_by_role("button", name="Record concern").click()
    expect(dsl.get_by_role("heading", name="Receipt for your concern")).to_be_visible()

    dsl.goto(school_url(server_url, school, f"/pupils/{pupil.pk}/chronology/"))
    entry = dsl.locator("ol.chronology > li", has_text="Came to school hungry")
    expect(entry).to_contain_text("Written by Ottoline Varga (lunchtime supervisor)")
    expect(entry).to_contain_text("Mon 23 Nov 2026, 12:40")
    expect(entry).to_contain_text("Paper significant-note form, transcribed")
    screenshot(dsl, "paper-form-in-chronology")
    context.close()
