"""Nothing typed is lost to the idle sign-out: a DSL types a long concern, is signed out after
30 idle minutes, signs in again and finds the draft offered and restored. And the warning two
minutes before the sign-out, with "Stay signed in"."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, expect

from safeguarding.models import Draft, Pupil
from tests.browser.conftest import PHONE_VIEWPORT, CheckAccessibility
from tests.browser.test_record_a_concern import sign_in
from tests.conftest import World, school_url
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.middleware import IDLE_TIMEOUT_SECONDS, SESSION_LAST_ACTIVITY
from trustplatform.accounts.models import Role, User

pytestmark = pytest.mark.browser

# 852 characters or so: the length of what was lost before drafts.
ACCOUNT = (
    'At lunch she said "I don\'t want to go home tonight, he gets angry when he drinks" and '
    "that she had slept at her nan's twice this week. She has a mark on her left wrist. "
) * 5


@pytest.fixture(scope="module")
def pupil(world: World, django_db_blocker: object) -> Iterator[Pupil]:
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):  # type: ignore[attr-defined]
        yield enrol(first="Tamsin", last="Orrell", serial=77401, year_group=6, form="6T")


@pytest.fixture
def dsl_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="en-GB")
    try:
        yield context.new_page()
    finally:
        context.close()


def _age_sessions(user: User, seconds: int, django_db_blocker: object) -> None:
    """Server side: the user's sessions last saw activity `seconds` ago."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        for session in Session.objects.all():
            data = session.get_decoded()
            if data.get("_auth_user_id") == str(user.pk):
                data[SESSION_LAST_ACTIVITY] = int(time.time()) - seconds
                session.session_data = SessionStore().encode(data)
                session.save()


def _autosave_now(page: Page) -> int:
    """Leaving the page saves the draft at once, as the 20-second timer would."""
    with page.expect_response(
        lambda r: "/drafts/" in r.url and r.request.method == "POST"
    ) as saved:
        page.evaluate("window.dispatchEvent(new Event('pagehide'))")
    return saved.value.status


def test_a_dsl_signed_out_for_idleness_gets_their_concern_back(  # noqa: PLR0917 - fixtures
    dsl_page: Page,
    server_url: str,
    world: World,
    pupil: Pupil,
    check_accessibility: CheckAccessibility,
    django_db_blocker: object,
) -> None:
    page, school = dsl_page, world.school_a
    dsl = world.person("a", Role.DSL)
    sign_in(page, school_url(server_url, school, "/accounts/login/"), dsl)
    page.goto(school_url(server_url, school, "/concerns/new/"))
    page.get_by_label("Search by name").fill("Tams")
    page.get_by_label("Tamsin Orrell").check()
    page.get_by_label("Emotional abuse").check()
    page.get_by_label("What you saw or heard").fill(ACCOUNT)
    assert _autosave_now(page) == 200
    expect(page.get_by_text("Draft saved at")).to_be_visible()

    # Thirty idle minutes pass: the next autosave is refused and says what to do.
    _age_sessions(dsl, IDLE_TIMEOUT_SECONDS + 60, django_db_blocker)
    page.get_by_label("What you saw or heard").fill(ACCOUNT + " Later words.")
    assert _autosave_now(page) == 403
    expect(page.get_by_role("alert").filter(has_text="Copy your text")).to_be_visible()
    with django_db_blocker.unblock(), schema_context(school.schema_name):  # type: ignore[attr-defined]
        assert "Later words" not in Draft.objects.get(author_id=dsl.pk).fields["account"][0]

    sign_in(page, school_url(server_url, school, "/accounts/login/"), dsl)
    page.goto(school_url(server_url, school, "/concerns/new/"))
    offer = page.get_by_text("You have an unsent draft from")
    expect(offer).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Restore it").click()

    expect(page.get_by_label("What you saw or heard")).to_have_value(ACCOUNT)
    expect(page.get_by_label("Tamsin Orrell")).to_be_checked()
    expect(page.get_by_label("Emotional abuse")).to_be_checked()
    expect(page.get_by_text("is back in the form")).to_be_focused()

    page.get_by_label("Where").fill("Dining hall")
    page.get_by_role("button", name="Record concern").click()
    expect(page.get_by_text("Your concern is recorded")).to_be_visible()
    with django_db_blocker.unblock(), schema_context(school.schema_name):  # type: ignore[attr-defined]
        assert not Draft.objects.filter(author_id=dsl.pk).exists()  # sent: the draft is gone


def test_the_page_warns_before_the_idle_sign_out_and_stays_signed_in(
    dsl_page: Page,
    server_url: str,
    world: World,
    check_accessibility: CheckAccessibility,
    django_db_blocker: object,
) -> None:
    page, school = dsl_page, world.school_a
    dsl = world.person("a", Role.DSL)
    sign_in(page, school_url(server_url, school, "/accounts/login/"), dsl)
    page.clock.install()
    page.goto(school_url(server_url, school, "/concerns/new/"))
    page.get_by_label("Where").focus()

    # 28 minutes without activity, on the server and in the page.
    _age_sessions(dsl, IDLE_TIMEOUT_SECONDS - 118, django_db_blocker)
    page.clock.fast_forward("28:05")

    dialog = page.get_by_role("alertdialog", name="Are you still there?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("You will be signed out in 2 minutes")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    check_accessibility(page)

    with page.expect_response(lambda r: r.url.endswith("/accounts/session/")) as touched:
        page.keyboard.press("Enter")
    assert touched.value.json()["seconds_left"] == IDLE_TIMEOUT_SECONDS
    expect(dialog).to_be_hidden()
    expect(page.get_by_label("Where")).to_be_focused()  # back where they were typing
