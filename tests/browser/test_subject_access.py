"""The DSL answers a subject access request on a desktop: opens it from the child's page,
withholds one entry, redacts a suggested name, releases the response and downloads the PDF,
read back to check what it holds."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, expect
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.models import ChronologyEntry, Pupil
from safeguarding.services.chronology import note_record
from safeguarding.services.pupils import family_link_add
from tests.browser.conftest import CheckAccessibility
from tests.browser.test_dashboard import DESKTOP
from tests.browser.test_record_a_concern import sign_in
from tests.conftest import World, school_url
from tests.safeguarding.conftest import person
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role

pytestmark = pytest.mark.browser

SIBLING = "Corentin Vashti"
WITHHELD = "Strategy discussion with the police: Operation Halloran."


@pytest.fixture(scope="module")
def record(world: World, django_db_blocker: object) -> Iterator[tuple[Pupil, ChronologyEntry]]:
    # Committed for real: the browser talks to the test server, whose connections see only that.
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):  # type: ignore[attr-defined]
        pupil = enrol(first="Isolde", last="Penhallow", serial=81700, year_group=6)
        sibling = enrol(first="Corentin", last="Vashti", serial=81701, year_group=4)
        family_link_add(pupil=pupil, relative=sibling, relationship="sibling")
        dsl = person(world.person("a", Role.DSL), Role.DSL)
        now = timezone.now()
        note_record(
            pupil=pupil,
            author=dsl,
            occurred_at=now - dt.timedelta(minutes=2),
            body=f"Isolde said {SIBLING} shouted at her on the way to school.",
        )
        withheld = note_record(
            pupil=pupil, author=dsl, occurred_at=now - dt.timedelta(minutes=1), body=WITHHELD
        )
        yield pupil, withheld


def test_the_dsl_answers_a_subject_access_request_and_downloads_the_redacted_pdf(  # noqa: PLR0917 - one journey; fixtures
    browser: Browser,
    world: World,
    record: tuple[Pupil, ChronologyEntry],
    server_url: str,
    check_accessibility: CheckAccessibility,
    settings: SettingsWrapper,
    tmp_path: Path,
    export_worker: None,
) -> None:
    # The released file is kept in this test's own folder.
    settings.SCHOOL_DOCUMENTS_ROOT = tmp_path / "documents"
    pupil, withheld = record
    school = world.school_a
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = context.new_page()
    try:
        sign_in(
            page, school_url(server_url, school, "/accounts/login/"), world.person("a", Role.DSL)
        )
        page.goto(school_url(server_url, school, f"/pupils/{pupil.pk}/"))
        page.get_by_role("link", name="Subject access requests").click()
        check_accessibility(page)
        page.get_by_label("Who asked").select_option("parent")
        page.get_by_label("Their name and how they relate to the child").fill(
            "Ms Demelza Penhallow, mother"
        )
        page.get_by_role("button", name="Open the request").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Subject access request")
        # The address carries the request's id only: neither the child nor who asked.
        assert "Penhallow" not in page.url and "Demelza" not in page.url
        check_accessibility(page)

        page.locator(f"#exemption-{withheld.pk}").select_option("child_abuse")
        page.get_by_role("button", name="Save the decisions").click()
        expect(page.get_by_text("What is released and withheld is saved.")).to_be_visible()
        page.get_by_label(SIBLING, exact=True).check()
        page.get_by_role("button", name="Save the redactions").click()
        expect(page.get_by_text("The redactions are saved.")).to_be_visible()
        expect(page.locator("#sar-redactions")).to_have_value(f"{SIBLING}\n")
        check_accessibility(page)

        page.get_by_label("Sent to").fill("Ms Demelza Penhallow, by recorded post")
        page.get_by_role("button", name="Release the response").click()
        # A worker makes the PDF; the page shows its progress until it is kept.
        expect(page.locator("#export-status")).to_contain_text("The PDF is ready", timeout=60_000)
        page.reload()
        released = page.get_by_role("region", name="Released", exact=True)
        expect(released).to_contain_text("1 entry released, 1 withheld")
        check_accessibility(page)
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Download the PDF released").click()
        pdf = tmp_path / "release.pdf"
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
    assert "Isolde said [redacted] shouted at her on the way to school." in text
    assert "Corentin" not in text and "Vashti" not in text
    assert "Halloran" not in text and "Strategy discussion" not in text
