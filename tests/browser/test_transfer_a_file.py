"""A pupil moves between two schools of one trust: the sending DSL sends the file from the
child's page, the receiving DSL accepts it, the chronology is there with both schools' chains
intact, and the sending school sees the receipt and a read-only record (docs/transfers.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, expect

from safeguarding.models import ChronologyEntry, Pupil
from safeguarding.services.chronology import Person, note_record
from safeguarding.services.concerns import concern_record
from tests.browser.conftest import PHONE_VIEWPORT, CheckAccessibility, TakeScreenshot
from tests.browser.test_record_a_concern import sign_in
from tests.conftest import World, school_url
from tests.safeguarding.conftest import category_ids
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role

pytestmark = pytest.mark.browser

NOTE = "Met the family support worker; the plan continues at the new school."


@pytest.fixture(scope="module")
def pupil(world: World, django_db_blocker: object) -> Iterator[Pupil]:
    # Committed for real: the browser talks to the test server, whose connections see only that.
    dsl = world.person("a", Role.DSL)
    author = Person(user_id=dsl.pk, name=dsl.full_name, role=Role.DSL.value)
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):  # type: ignore[attr-defined]
        leaver = enrol(first="Perpetua", last="Cardew", serial=81600, year_group=6)
        concern_record(
            school=world.school_a,
            author=author,
            pupil_ids=[leaver.pk],
            category_ids=category_ids("neglect"),
            account="Said she had not eaten since lunch yesterday.",
            # Two school years back: the copy that reaches school B stays out of the periods
            # the trust lead's dashboard journey counts, whatever order the journeys run in.
            occurred_at=timezone.now() - dt.timedelta(days=800),
            backdate_reason="Copied from the paper file kept before the school used this system.",
        )
        note_record(pupil=leaver, author=author, occurred_at=timezone.now(), body=NOTE)
        yield leaver


def verify_lines() -> str:
    out = StringIO()
    call_command("verify_chronology", stdout=out)
    return out.getvalue()


def test_a_file_moves_to_another_school_of_the_trust_and_the_sender_keeps_a_receipt(  # noqa: PLR0917 - fixtures
    browser: Browser,
    world: World,
    pupil: Pupil,
    server_url: str,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
    django_db_blocker: object,
) -> None:
    sending, receiving = world.school_a, world.school_b
    contexts = [
        browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True, locale="en-GB")
        for _ in range(2)
    ]
    try:
        # --- the sending DSL sends the file from the child's page ---------------------------
        page = contexts[0].new_page()
        sign_in(
            page, school_url(server_url, sending, "/accounts/login/"), world.person("a", Role.DSL)
        )
        # The child's concern is waiting for this DSL to screen it.
        expect(page.locator("#awaiting-screening")).to_contain_text(pupil.display_name)
        page.goto(school_url(server_url, sending, f"/pupils/{pupil.pk}/"))
        page.get_by_role("link", name="Send the file to another school").click()
        page.get_by_label("Receiving school").select_option(label=receiving.name)
        # The other trust's school is never offered.
        expect(page.get_by_label("Receiving school").locator("option")).to_have_count(2)
        page.get_by_label("Date of the move").fill(timezone.localdate().isoformat())
        check_accessibility(page)
        page.get_by_role("button", name="Send the file").click()
        expect(page.locator("#transfer-status")).to_have_text("Waiting for the receiving school")
        expect(page.get_by_role("button", name="Accept the file")).to_have_count(0)
        screenshot(page, "1-sent")

        # --- the receiving DSL accepts it on their school's site ----------------------------
        other = contexts[1].new_page()
        sign_in(
            other,
            school_url(server_url, receiving, "/accounts/login/"),
            world.person("b", Role.DSL),
        )
        other.goto(school_url(server_url, receiving, "/transfers/"))
        other.locator("#transfers-incoming").get_by_role("link").first.click()
        expect(other.locator("#transfer-summary")).to_contain_text(pupil.display_name)
        check_accessibility(other)
        screenshot(other, "2-waiting")
        other.get_by_role("button", name="Accept the file").click()
        expect(other.get_by_role("heading", name=pupil.display_name, level=1)).to_be_visible()
        expect(other.locator("#transferred-in")).to_contain_text(sending.name)
        expect(other.get_by_text(NOTE)).to_be_visible()
        check_accessibility(other)
        screenshot(other, "3-received")

        with django_db_blocker.unblock():  # type: ignore[attr-defined]
            with schema_context(receiving.schema_name):
                arrived = Pupil.objects.get(upn=pupil.upn)
                assert ChronologyEntry.objects.filter(pupil=arrived).count() == 2
            lines = verify_lines()
        assert f"{sending.schema_name} chronology:" in lines
        for school in (sending, receiving):
            [line] = [x for x in lines.splitlines() if x.startswith(f"{school.schema_name} ")]
            assert line.endswith("intact"), line

        # --- the sending school sees the receipt and a read-only record ---------------------
        page.goto(school_url(server_url, sending, f"/pupils/{pupil.pk}/"))
        notice = page.locator("#transferred-out")
        expect(notice).to_contain_text(f"moved to {receiving.name}")
        expect(notice).to_contain_text(world.person("b", Role.DSL).full_name)
        expect(page.get_by_role("link", name="Send the file to another school")).to_have_count(0)
        check_accessibility(page)
        screenshot(page, "4-read-only")
        notice.get_by_role("link", name="See the receipt").click()
        expect(page.locator("#transfer-status")).to_have_text("Received")
        expect(page.locator("#transfer-receipt")).to_contain_text("2 entries and 0 documents")
        # A new record for the pupil is refused here, and nothing is added.
        page.goto(school_url(server_url, sending, f"/pupils/{pupil.pk}/chronology/note/"))
        page.get_by_label("The note").fill("Heard from the new school.")
        page.get_by_role("button", name="Add to the chronology").click()
        expect(page.get_by_text("read-only here")).to_be_visible()
        with django_db_blocker.unblock(), schema_context(sending.schema_name):  # type: ignore[attr-defined]
            assert ChronologyEntry.objects.filter(pupil_id=pupil.pk).count() == 2

        # --- the concern went with the file: the receiving DSL has it to screen, not the sender
        page.goto(school_url(server_url, sending, "/"))
        expect(page.locator("#awaiting-screening")).not_to_contain_text(pupil.display_name)
        page.goto(school_url(server_url, sending, "/concerns/"))
        moved = page.get_by_role("row").filter(has_text=pupil.display_name)
        expect(moved).to_contain_text("Moved with the child's file")
        check_accessibility(page)
        screenshot(page, "5-sender-inbox")
        # Its page says where it went and offers nothing to do here.
        moved.get_by_role("link").click()
        expect(page.locator("#moved-with-file")).to_contain_text(receiving.name)
        expect(page.get_by_role("button", name="Save screening")).to_have_count(0)
        expect(page.get_by_role("heading", name="Screen this concern")).to_have_count(0)
        check_accessibility(page)
        screenshot(page, "6-sender-concern")
        other.goto(school_url(server_url, receiving, "/"))
        expect(other.locator("#awaiting-screening")).to_contain_text(pupil.display_name)
        screenshot(other, "7-receiving-dashboard")
    finally:
        for context in contexts:
            context.close()
