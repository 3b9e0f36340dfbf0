"""A pupil leaves for a school outside the trust: the DSL makes the encrypted package from the
child's page, sees its password once, downloads it once a worker has made it, records how it
was sent and then the signed receipt (docs/transfers.md, "Outside the trust")."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, expect
from pypdf import PdfReader
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.models import ChronologyEntry, OutsideTransfer, Pupil
from safeguarding.services.chronology import note_record
from tests.browser.conftest import CheckAccessibility, TakeScreenshot
from tests.browser.test_dashboard import DESKTOP
from tests.browser.test_record_a_concern import sign_in
from tests.conftest import World, school_url
from tests.safeguarding.conftest import person
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role

pytestmark = pytest.mark.browser

NOTE = "Mum rang: the family moves to Cornwall at half term; new school asked for the file."
RECEIVING = "Porthkerris Community School, Truro"


@pytest.fixture(scope="module")
def pupil(world: World, django_db_blocker: object) -> Iterator[Pupil]:
    # Committed for real: the browser talks to the test server, whose connections see only that.
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):  # type: ignore[attr-defined]
        leaver = enrol(first="Tegen", last="Rosewarne", serial=82410, year_group=6)
        note_record(
            pupil=leaver,
            author=person(world.person("a", Role.DSL), Role.DSL),
            occurred_at=timezone.now(),
            body=NOTE,
        )
        yield leaver


def test_the_dsl_sends_an_encrypted_file_outside_the_trust_and_records_the_receipt(  # noqa: PLR0917 - one journey; fixtures
    browser: Browser,
    world: World,
    pupil: Pupil,
    server_url: str,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
    settings: SettingsWrapper,
    tmp_path: Path,
    export_worker: None,
    django_db_blocker: object,
) -> None:
    settings.SCHOOL_DOCUMENTS_ROOT = tmp_path / "documents"
    school = world.school_a
    today = timezone.localdate().isoformat()
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    try:
        sign_in(
            page, school_url(server_url, school, "/accounts/login/"), world.person("a", Role.DSL)
        )
        page.goto(school_url(server_url, school, f"/pupils/{pupil.pk}/"))
        page.get_by_role("link", name="Send the file to a school outside the trust").click()
        page.get_by_label("Receiving school").fill(RECEIVING)
        page.get_by_label("Date of the move").fill(today)
        check_accessibility(page)
        page.get_by_role("button", name="Make the package").click()

        # --- the password, shown once ---------------------------------------------------------
        password = page.locator("#package-password").inner_text().strip()
        assert len(password) == 23  # four groups of five, with dashes
        assert password not in page.url
        check_accessibility(page)
        screenshot(page, "1-password")
        page.get_by_role("link", name="Go to the transfer").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(RECEIVING)
        assert password not in page.content()
        transfer_page = page.url

        # --- the package, made by the worker, downloaded --------------------------------------
        page.locator("#package-link").click()
        expect(page.locator("#export-status")).to_contain_text("The PDF is ready", timeout=90_000)
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Download the PDF").click()
        pdf = download_info.value.path().read_bytes()
        reader = PdfReader(io.BytesIO(pdf))
        assert reader.is_encrypted
        assert reader.decrypt(password)
        text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
        assert NOTE in text
        assert "Receipt of a child protection file" in text

        # --- sent, then the signed receipt comes back -----------------------------------------
        page.goto(transfer_page)
        page.get_by_label("Date sent").fill(today)
        page.get_by_label("How it was sent").fill("Secure email; password by phone to their DSL")
        page.get_by_role("button", name="Record the sending").click()
        expect(page.locator("#sent")).to_contain_text("Secure email")
        page.get_by_label("Date received").fill(today)
        page.get_by_label("Signed by").fill("Mrs K. Nancarrow, DSL")
        check_accessibility(page)
        page.get_by_role("button", name="Record the receipt").click()
        expect(page.locator("#receipt")).to_contain_text("signed by Mrs K. Nancarrow, DSL")
        screenshot(page, "2-received")

        page.goto(school_url(server_url, school, f"/pupils/{pupil.pk}/"))
        expect(page.locator("#outside-transfers")).to_contain_text("signed by Mrs K. Nancarrow")
        check_accessibility(page)
        with django_db_blocker.unblock(), schema_context(school.schema_name):  # type: ignore[attr-defined]
            transfer = OutsideTransfer.objects.get(pupil_id=pupil.pk)
            assert transfer.receipt_on == timezone.localdate()
            assert (
                ChronologyEntry.objects.filter(
                    pupil_id=pupil.pk, title__contains="outside the trust"
                ).count()
                == 3
            )
    finally:
        context.close()
