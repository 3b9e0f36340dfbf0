"""A task in a real browser: the DSL assigns an action to a member of staff, whose email says only
that there is a task and links to My tasks; they sign in, see the pupil and what to do, and
complete it with a note, which the DSL reads in the pupil's chronology."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, expect

from safeguarding.models import Alert, Concern, Pupil
from safeguarding.services.alerts import ALERT_EMAIL
from safeguarding.services.concerns import concern_record
from tests.browser.conftest import PHONE_VIEWPORT, CheckAccessibility, TakeScreenshot
from tests.browser.test_record_a_concern import sign_in
from tests.conftest import World, school_url
from tests.safeguarding.conftest import category_ids, person
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role
from trustplatform.outbox.models import OutboxMessage
from trustplatform.outbox.services import outbox_send

pytestmark = pytest.mark.browser

FIRST, LAST = "Morwenna", "Keverne"
TASK = "Ask her how lunchtimes are going this week."
NOTE = "Spoke with her at lunch; she is sitting with friends now."
LINK = re.compile(r"https?://\S+/tasks/")


@pytest.fixture(scope="module")
def concern(world: World, django_db_blocker: Any) -> Iterator[Concern]:
    # Committed for real: the browser talks to the test server, whose connections see only that.
    with django_db_blocker.unblock(), schema_context(world.school_a.schema_name):
        pupil: Pupil = enrol(first=FIRST, last=LAST, serial=77601, year_group=4, form="4K")
        yield concern_record(
            school=world.school_a,
            author=person(world.person("a", Role.KEY_HOLDER), Role.KEY_HOLDER),
            pupil_ids=[pupil.pk],
            category_ids=category_ids("neglect"),
            account="Eats alone at lunch every day and has stopped bringing food.",
        )


def test_the_dsl_assigns_a_task_that_the_member_of_staff_completes_from_the_email(  # noqa: PLR0917 - fixtures
    browser: Browser,
    world: World,
    concern: Concern,
    server_url: str,
    check_accessibility: CheckAccessibility,
    screenshot: TakeScreenshot,
    django_db_blocker: Any,
) -> None:
    school = world.school_a
    member = world.person("a", Role.STAFF)
    # --- the DSL assigns the action on the concern's page ------------------------------------
    dsl_context = browser.new_context(viewport={"width": 1280, "height": 900})
    dsl = dsl_context.new_page()
    sign_in(dsl, school_url(server_url, school, "/accounts/login/"), world.person("a", Role.DSL))
    dsl.goto(school_url(server_url, school, f"/concerns/{concern.pk}/"))
    dsl.get_by_text("Add an action").click()
    dsl.get_by_label("Action", exact=True).select_option("conversation_pupil")
    dsl.get_by_label("Description").fill(TASK)
    dsl.get_by_label("Assign to").select_option(str(member.pk))
    dsl.get_by_role("button", name="Add action").click()
    expect(dsl.get_by_text("Action added to the case and the chronology.")).to_be_visible()
    screenshot(dsl, "1-dsl-assigns")

    # --- the email, as the outbox sends it: a link and nothing of the child ------------------
    mail.outbox.clear()
    with django_db_blocker.unblock(), schema_context(school.schema_name):
        alert = Alert.objects.get(
            concern=concern, user_id=member.pk, reason=Alert.Reason.ACTION_ASSIGNED
        )
        message = OutboxMessage.objects.get(kind=ALERT_EMAIL, object_id=alert.pk)
        outbox_send(message_id=message.pk)
        pupil_id = concern.pupils.get().pk
    [email] = [m for m in mail.outbox if m.to == [member.email]]
    text = f"{email.subject}\n{email.body}"
    for detail in (FIRST, LAST, TASK, "lunch"):
        assert detail not in text, f"{detail!r} is in the email"
    match = LINK.search(str(email.body))
    assert match is not None, email.body
    link = match.group(0)
    # An absolute link to the school's own site, from the settings (not a request's Host).
    assert link == school_url(server_url, school, "/tasks/"), link

    # --- the member of staff opens the link, signs in and completes the task -----------------
    staff_context = browser.new_context(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True)
    staff = staff_context.new_page()
    sign_in(staff, link, member)
    expect(staff.get_by_role("heading", name="My tasks")).to_be_visible()
    task = staff.locator("li.task").filter(has_text=TASK)
    expect(task.get_by_role("heading", name=f"{FIRST} {LAST}")).to_be_visible()
    expect(staff.get_by_text("Eats alone")).to_have_count(0)
    check_accessibility(staff)
    screenshot(staff, "2-staff-my-tasks")
    task.get_by_label("What you did (required)").fill(NOTE)
    task.get_by_role("button", name="Complete task").click()
    expect(staff.get_by_text("Task completed.")).to_be_visible()
    expect(staff.get_by_role("region", name="Done").get_by_text(NOTE)).to_be_visible()
    check_accessibility(staff)
    screenshot(staff, "3-staff-done")
    staff_context.close()

    # --- the DSL reads the completion in the pupil's chronology ------------------------------
    dsl.goto(school_url(server_url, school, f"/pupils/{pupil_id}/chronology/"))
    entries = "\n".join(dsl.locator("ol.chronology > li").all_inner_texts())
    assert "Completed: Further conversation with the pupil" in entries
    assert NOTE in entries
    assert member.full_name in entries
    screenshot(dsl, "4-dsl-chronology")
    dsl_context.close()
