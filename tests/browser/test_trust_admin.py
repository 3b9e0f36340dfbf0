"""The trust admin in a real browser: creates a school through the portal and names its DSL, who
then signs in on the new school's own subdomain. A replacement the admin names later waits until
that DSL confirms it on the school's site. Screenshots of each step land in test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from django.core import mail
from playwright.sync_api import Browser, expect

from tenants.db import owner_connection
from tenants.models import School
from tests.browser.conftest import PHONE_VIEWPORT, CheckAccessibility, TakeScreenshot
from tests.browser.test_record_a_concern import sign_in
from tests.conftest import World
from trustplatform.accounts.models import Role, SchoolMembership, User

pytestmark = pytest.mark.browser

SLUG = "juniper-fields"
DSL_EMAIL = "robin.hale@example.org"
NEXT_DSL_EMAIL = "sasha.brook@example.org"
NEW_PASSWORD = "a-long-and-unguessable-passphrase"
INVITATION_LINK = re.compile(r"https?://\S+/accounts/invite/\S+/")


@pytest.fixture
def cleanup(django_db_blocker: Any) -> Iterator[None]:
    """The server commits what the browser creates: remove the school, its schema and its DSL
    (the schema as its owner: the application's role cannot drop it)."""
    yield
    with django_db_blocker.unblock():
        with owner_connection():
            for school in School.objects.filter(slug=SLUG):
                school.delete(force_drop=True)
        User.objects.filter(email__in=[DSL_EMAIL, NEXT_DSL_EMAIL]).delete()


@pytest.mark.usefixtures("tasks_run_when_sent")  # the invitation goes through the outbox
def test_trust_admin_creates_a_school_and_names_its_dsl_who_signs_in_there(  # noqa: PLR0917 - fixtures
    browser: Browser,
    world: World,
    server_url: str,
    cleanup: None,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
    django_db_blocker: Any,
) -> None:
    port = server_url.rsplit(":", 1)[1]
    root = f"http://localhost:{port}"
    # --- the trust admin, on the trust portal ----------------------------------------------
    admin_context = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    admin = admin_context.new_page()
    sign_in(admin, f"{root}/accounts/login/?next=/portal/", world.person("trust", Role.TRUST_ADMIN))
    admin.goto(f"{root}/portal/")
    expect(admin.get_by_role("heading", name="Alder Lane Primary")).to_be_visible()
    check_accessibility(admin)
    screenshot(admin, "1-portal")

    admin.get_by_role("link", name="Add a school").click()
    admin.get_by_label("School name").fill("Juniper Fields Primary")
    admin.get_by_label("Subdomain").fill("admin")  # reserved: refused, nothing created
    admin.get_by_label("DfE URN").fill("900123")
    admin.get_by_label("Phase").select_option("primary")
    admin.get_by_role("button", name="Create school").click()
    expect(admin.get_by_text("“admin” is reserved and cannot name a school.")).to_be_visible()
    check_accessibility(admin)
    screenshot(admin, "2-create-school-error")
    admin.get_by_label("Subdomain").fill(SLUG)
    admin.get_by_role("button", name="Create school").click()

    expect(admin.get_by_text("Now name its Designated Safeguarding Lead.")).to_be_visible()
    expect(
        admin.get_by_role("heading", name="Designated Safeguarding Lead of Juniper Fields Primary")
    ).to_be_visible()
    check_accessibility(admin)
    mail.outbox.clear()
    admin.get_by_label("Full name").fill("Robin Hale")
    admin.get_by_label("Email").fill(DSL_EMAIL)
    screenshot(admin, "3-assign-dsl")
    admin.get_by_role("button", name="Assign DSL").click()
    expect(admin.get_by_text("Juniper Fields Primary has a new DSL")).to_be_visible()
    section = admin.get_by_role("region", name="Juniper Fields Primary")
    expect(section.get_by_text("Robin Hale").first).to_be_visible()
    expect(section.get_by_text("Not counted yet")).to_be_visible()
    screenshot(admin, "4-portal-with-new-school")

    # --- the new DSL: the invitation email (the server thread shares the locmem outbox) -----
    [message] = [m for m in mail.outbox if m.to == [DSL_EMAIL]]
    match = INVITATION_LINK.search(str(message.body))
    assert match is not None, message.body
    link = match.group(0)
    assert link.startswith(f"http://{SLUG}.localhost:{port}/"), link

    dsl_context = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    dsl = dsl_context.new_page()
    dsl.goto(link)
    dsl.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    dsl.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    dsl.get_by_role("button", name="Save password").click()
    expect(dsl.get_by_text("Your password is set. Sign in to continue.")).to_be_visible()
    dsl.get_by_label("Email address").fill(DSL_EMAIL)
    dsl.get_by_label("Password").fill(NEW_PASSWORD)
    dsl.get_by_role("button", name="Sign in").click()
    dsl.wait_for_load_state()
    # Reading records needs two-factor: the DSL is asked to set it up on first use.
    dsl.goto(f"http://{SLUG}.localhost:{port}/staff/")
    expect(dsl.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    secret = dsl.locator("code.secret").inner_text()
    dsl.get_by_label("6-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
    dsl.get_by_role("button", name="Turn on two-factor").click()
    expect(dsl.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    dsl.goto(f"http://{SLUG}.localhost:{port}/staff/")
    expect(dsl.get_by_role("heading", name="Staff and roles")).to_be_visible()
    expect(dsl.get_by_text("Robin Hale").first).to_be_visible()
    check_accessibility(dsl)
    screenshot(dsl, "5-dsl-on-the-new-site")

    # --- a replacement named by the trust waits for the school ----------------------------
    admin.goto(f"{root}/portal/")
    admin.get_by_role("link", name="Name a new DSL of Juniper Fields Primary").click()
    admin.get_by_label("Full name").fill("Sasha Brook")
    admin.get_by_label("Email").fill(NEXT_DSL_EMAIL)
    admin.get_by_role("button", name="Name the new DSL").click()
    expect(admin.get_by_text("waits for the headteacher or the current DSL")).to_be_visible()
    admin_context.close()
    with django_db_blocker.unblock():
        school = School.objects.get(slug=SLUG)
        assert _dsl_email(school) == DSL_EMAIL

    dsl.goto(f"http://{SLUG}.localhost:{port}/staff/")
    expect(dsl.get_by_role("heading", name="The trust has named a new DSL")).to_be_visible()
    check_accessibility(dsl)
    screenshot(dsl, "6-the-dsl-confirms-the-named-dsl")
    dsl.get_by_label("The current DSL becomes").select_option("deputy_dsl")
    dsl.get_by_role("button", name="Confirm the new DSL").click()
    # Robin reads less from now on: their sessions end with the handover.
    expect(dsl.get_by_role("button", name="Sign in")).to_be_visible()
    dsl_context.close()
    with django_db_blocker.unblock():
        assert _dsl_email(school) == NEXT_DSL_EMAIL


def _dsl_email(school: School) -> str:
    return SchoolMembership.objects.get(school=school, role=Role.DSL).user.email
