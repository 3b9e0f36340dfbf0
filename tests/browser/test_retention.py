"""Retention of a child's record, as the people doing it see it: the DSL at a desk opens the
review queue and proposes destroying a record past its retention; the headteacher, a second
person, approves on a phone and reads the certificate; a legal hold refuses a proposal
(docs/rules.md, "Retention")."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, expect

from safeguarding.models import Destruction, Pupil
from tests.browser.conftest import PHONE_VIEWPORT, CheckAccessibility
from tests.browser.test_dashboard import DESKTOP
from tests.browser.test_record_a_concern import sign_in
from tests.conftest import World, school_url
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def due(world: World, django_db_blocker: object) -> Iterator[tuple[Pupil, Pupil]]:
    """Two records past their retention (born in 1995 and 1996), committed for the server."""
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):  # type: ignore[attr-defined]
        yield (
            enrol(
                first="Perpetua",
                last="Vantongeren",
                serial=82700,
                year_group=6,
                date_of_birth=dt.date(1995, 3, 1),
            ),
            enrol(
                first="Obadiah",
                last="Strangeways",
                serial=82701,
                year_group=6,
                date_of_birth=dt.date(1996, 4, 2),
            ),
        )


@contextlib.contextmanager
def signed_in(
    browser: Browser, world: World, server_url: str, role: Role, *, phone: bool = False
) -> Iterator[Page]:
    """A page of a fresh browser context, signed in to school A: a phone's or a desk's."""
    shape: dict[str, Any] = (
        {"viewport": PHONE_VIEWPORT, "is_mobile": True, "has_touch": True}
        if phone
        else {"viewport": DESKTOP}
    )
    context = browser.new_context(locale="en-GB", **shape)
    try:
        page = context.new_page()
        sign_in(
            page,
            school_url(server_url, world.school_a, "/accounts/login/"),
            world.person("a", role),
        )
        yield page
    finally:
        context.close()


def test_the_dsl_proposes_and_a_second_person_approves_on_a_phone(
    browser: Browser,
    world: World,
    due: tuple[Pupil, Pupil],
    server_url: str,
    check_accessibility: CheckAccessibility,
) -> None:
    pupil, _ = due
    school = world.school_a
    # --- the DSL, at a desk ------------------------------------------------------------------
    with signed_in(browser, world, server_url, Role.DSL) as page:
        page.goto(school_url(server_url, school, "/retention/"))
        check_accessibility(page)
        page.get_by_role("link", name="Perpetua Vantongeren").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Perpetua Vantongeren")
        check_accessibility(page)
        page.get_by_label("Why the record is to be destroyed").fill(
            "Reviewed: retention ended, no inquiry or claim known."
        )
        page.get_by_role("button", name="Propose destruction").click()
        expect(page.get_by_text("a second person must approve it")).to_be_visible()
        # The proposer cannot approve their own proposal.
        page.get_by_role("button", name="Approve and destroy the record").click()
        expect(page.get_by_text("You proposed this destruction")).to_be_visible()
    # --- the headteacher, on a phone ----------------------------------------------------------
    with signed_in(browser, world, server_url, Role.HEADTEACHER, phone=True) as page:
        page.goto(school_url(server_url, school, "/retention/"))
        page.get_by_role("link", name="Perpetua Vantongeren").click()
        page.get_by_role("button", name="Approve and destroy the record").click()
        check_accessibility(page)
        page.get_by_role("button", name="Yes, destroy the record").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Destruction certificate")
        check_accessibility(page)
        expect(page.locator("main")).to_contain_text(f"pupil {pupil.pk} was destroyed")
        expect(page.locator("main")).not_to_contain_text("Vantongeren")
        # The page fits the phone: nothing wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]
    with schema_context(school.schema_name):
        certificate = Destruction.objects.get(pupil_id=pupil.pk)
        assert certificate.status == Destruction.Status.DESTROYED
        assert Pupil.objects.get(pk=pupil.pk).legal_last_name == "destroyed"


def test_a_legal_hold_refuses_a_proposal(
    browser: Browser,
    world: World,
    due: tuple[Pupil, Pupil],
    server_url: str,
) -> None:
    _, held = due
    school = world.school_a
    with signed_in(browser, world, server_url, Role.DSL) as page:
        page.goto(school_url(server_url, school, f"/retention/pupils/{held.pk}/"))
        page.get_by_label("Reason (the inquiry or litigation)").fill("Independent inquiry request")
        page.get_by_role("button", name="Place a legal hold").click()
        expect(page.get_by_text("Legal hold placed.")).to_be_visible()
        page.get_by_label("Why the record is to be destroyed").fill("Retention ended.")
        page.get_by_role("button", name="Propose destruction").click()
        expect(
            page.get_by_text("A legal hold stands on this record: it cannot be destroyed.")
        ).to_be_visible()
    with schema_context(school.schema_name):
        assert not Destruction.objects.filter(pupil_id=held.pk).exists()
