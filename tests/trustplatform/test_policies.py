"""The policy register: status, reviews, the trust's view, and reminders sent exactly once."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import School
from tests.conftest import World, school_client
from tests.safeguarding.fixtures import enrol
from trustplatform.accounts.models import Role
from trustplatform.outbox.models import OutboxMessage
from trustplatform.policies.demo import DEMO_POLICIES, seed_demo_policies
from trustplatform.policies.models import (
    Policy,
    PolicyKind,
    PolicyReminder,
    PolicyReview,
    PolicyStatus,
    ReminderChannel,
    policy_status,
)
from trustplatform.policies.services import (
    EMAIL_CLAIM_LEASE,
    REMINDER_EMAIL,
    policy_create,
    policy_review_record,
    reminder_kind_on,
    reminders_send_due,
    review_due_after,
)
from trustplatform.policies.tasks import policy_reminders_send_task

LONDON = ZoneInfo("Europe/London")
PDF = b"%PDF-1.4\n%%EOF\n"


def _policy(
    world: World,
    school: School | None = None,
    *,
    title: str = "Online safety",
    due: dt.date,
    kind: str = PolicyKind.ONLINE_SAFETY,
) -> Policy:
    return policy_create(
        actor=world.person("a", Role.HEADTEACHER),
        school=school or world.school_a,
        title=title,
        kind=kind,
        owner="Computing lead",
        approving_body="Full governing body",
        next_review_due=due,
    )


# --- status and due dates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_to_due", "status"),
    [
        (61, PolicyStatus.UP_TO_DATE),
        (60, PolicyStatus.DUE_SOON),
        (1, PolicyStatus.DUE_SOON),
        (0, PolicyStatus.DUE_SOON),
        (-1, PolicyStatus.OVERDUE),
        (-400, PolicyStatus.OVERDUE),
    ],
)
def test_status_is_overdue_from_the_day_after_the_due_date(
    days_to_due: int, status: PolicyStatus
) -> None:
    today = dt.date(2026, 3, 1)
    assert policy_status(today + dt.timedelta(days=days_to_due), today) is status


@pytest.mark.parametrize(
    ("days_to_due", "kind"),
    [
        (90, None),
        (61, None),
        (60, "60d"),
        (31, "60d"),
        (30, "30d"),
        (8, "30d"),
        (7, "7d"),
        (1, "7d"),
        (0, "due"),
        (-6, "due"),
        (-7, "overdue-week-1"),
        (-13, "overdue-week-1"),
        (-14, "overdue-week-2"),
        (-70, "overdue-week-10"),
    ],
)
def test_the_latest_reminder_reached(days_to_due: int, kind: str | None) -> None:
    today = dt.date(2026, 3, 1)
    assert reminder_kind_on(due=today + dt.timedelta(days=days_to_due), today=today) == kind


def test_recording_a_review_sets_the_next_due_date_one_interval_later(
    world: World, db: None
) -> None:
    policy = _policy(world, due=dt.date(2026, 1, 31))
    governor = world.person("a", Role.GOVERNOR)

    review = policy_review_record(
        actor=governor,
        policy=policy,
        reviewed_on=dt.date(2026, 2, 3),
        approved_by="Full governing body",
        minutes_reference="FGB 3 Feb 2026, item 5",
        today=dt.date(2026, 2, 10),
    )

    policy.refresh_from_db()
    assert policy.last_reviewed_on == dt.date(2026, 2, 3)
    assert policy.next_review_due == review.next_review_due == dt.date(2027, 2, 3)
    assert policy.status(dt.date(2026, 2, 10)) is PolicyStatus.UP_TO_DATE
    assert (review.recorded_by_id, review.recorded_by_name) == (governor.pk, governor.full_name)


def test_a_shorter_interval_and_month_ends(world: World, db: None) -> None:
    policy = policy_create(
        actor=world.person("a", Role.HEADTEACHER),
        school=world.school_a,
        title="Allegations against staff",
        kind=PolicyKind.ALLEGATIONS,
        owner="Headteacher",
        approving_body="Full governing body",
        review_interval_months=6,
        last_reviewed_on=dt.date(2025, 8, 31),
    )
    assert policy.next_review_due == dt.date(2026, 2, 28)


def test_a_review_cannot_be_recorded_in_advance_nor_before_the_latest(
    world: World, db: None
) -> None:
    policy = _policy(world, due=dt.date(2026, 1, 31))
    head = world.person("a", Role.HEADTEACHER)
    with pytest.raises(ValidationError):
        policy_review_record(
            actor=head,
            policy=policy,
            reviewed_on=dt.date(2026, 3, 1),
            approved_by="FGB",
            today=dt.date(2026, 2, 1),
        )
    policy_review_record(
        actor=head,
        policy=policy,
        reviewed_on=dt.date(2026, 1, 20),
        approved_by="FGB",
        today=dt.date(2026, 2, 1),
    )
    with pytest.raises(ValidationError):
        policy_review_record(
            actor=head,
            policy=policy,
            reviewed_on=dt.date(2026, 1, 10),
            approved_by="FGB",
            today=dt.date(2026, 2, 1),
        )
    assert PolicyReview.objects.filter(policy=policy).count() == 1


# --- pages ---------------------------------------------------------------------------------


def test_a_governor_sees_the_register_with_an_overdue_badge(world: World, db: None) -> None:
    today = dt.date.today()  # noqa: DTZ011 - the page uses the local date; a day either way is fine
    _policy(world, title="Use of the safeguarding records system", due=today - dt.timedelta(40))
    _policy(world, title="Online safety", due=today + dt.timedelta(200))
    _policy(world, school=world.school_b, title="Birchwood only", due=today)

    response = school_client(world.school_a, world.person("a", Role.GOVERNOR)).get("/policies/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Use of the safeguarding records system" in html
    assert "Overdue" in html
    assert "Up to date" in html
    assert "Birchwood only" not in html
    assert html.index("Use of the safeguarding records system") < html.index("Online safety")


def test_a_governor_records_a_review_and_the_next_due_date_moves(world: World, db: None) -> None:
    policy = _policy(world, due=dt.date.today() - dt.timedelta(days=3))  # noqa: DTZ011
    client = school_client(world.school_a, world.person("a", Role.GOVERNOR))
    reviewed_on = dt.date.today() - dt.timedelta(days=1)  # noqa: DTZ011

    response = client.post(
        f"/policies/{policy.pk}/review/",
        {"reviewed_on": reviewed_on.isoformat(), "approved_by": "FGB", "minutes_reference": "6"},
    )

    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.last_reviewed_on == reviewed_on
    assert policy.next_review_due == reviewed_on.replace(year=reviewed_on.year + 1)
    page = client.get(f"/policies/{policy.pk}/").content.decode()
    assert "Up to date" in page
    assert "Review history" in page


def test_another_schools_policy_is_not_found(world: World, db: None) -> None:
    policy = _policy(world, school=world.school_b, due=dt.date(2026, 1, 1))
    client = school_client(world.school_a, world.person("a", Role.GOVERNOR))
    assert client.get(f"/policies/{policy.pk}/").status_code == 404
    assert client.post(f"/policies/{policy.pk}/review/", {}).status_code == 404


def test_the_trust_page_lists_every_school_overdue_first(world: World, db: None) -> None:
    today = dt.date.today()  # noqa: DTZ011
    _policy(world, title="Alder up to date", due=today + dt.timedelta(300))
    _policy(world, school=world.school_b, title="Birchwood overdue", due=today - dt.timedelta(9))
    _policy(world, school=world.school_b, title="Birchwood soon", due=today + dt.timedelta(20))
    _policy(world, school=world.school_c, title="Cedar Bank policy", due=today)

    client = school_client(None, world.person("trust", Role.TRUSTEE))
    html = client.get(reverse("trust_policies:review_dates", urlconf="trustplatform.urls_public"))
    text = html.content.decode()

    assert html.status_code == 200
    assert "Cedar Bank policy" not in text
    positions = [text.index(t) for t in ("Birchwood overdue", "Birchwood soon", "Alder up to date")]
    assert positions == sorted(positions)


def test_a_policy_document_must_be_a_pdf_and_is_served_privately(
    world: World, db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        Policy._meta.get_field("document"), "storage", FileSystemStorage(location=tmp_path)
    )
    client = school_client(world.school_a, world.person("a", Role.HEADTEACHER))
    form = {
        "title": "Whistleblowing",
        "kind": PolicyKind.WHISTLEBLOWING,
        "owner": "Headteacher",
        "approving_body": "Full governing body",
        "review_interval_months": "12",
        "last_reviewed_on": "2026-01-10",
        "document_reference": "v3",
    }
    refused = client.post(
        "/policies/new/", form | {"document": SimpleUploadedFile("x.pdf", b"MZ not a pdf")}
    )
    assert refused.status_code == 200
    assert "must be a PDF" in refused.content.decode()
    assert not Policy.objects.filter(title="Whistleblowing").exists()

    client.post("/policies/new/", form | {"document": SimpleUploadedFile("x.pdf", PDF)})
    policy = Policy.objects.get(title="Whistleblowing")
    assert policy.next_review_due == dt.date(2027, 1, 10)
    governor = school_client(world.school_a, world.person("a", Role.GOVERNOR))
    download = governor.get(f"/policies/{policy.pk}/document/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert download["Content-Disposition"].startswith("attachment")
    other = school_client(world.school_b, world.person("b", Role.GOVERNOR))
    assert other.get(f"/policies/{policy.pk}/document/").status_code == 404


# --- reminders -----------------------------------------------------------------------------

START = dt.date(2026, 1, 5)
DAYS = 365


def _day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def _sent(policy: Policy) -> dict[tuple[int, str], list[tuple[str, dt.date]]]:
    """Per (recipient id, channel): the reminders of the policy as (kind, local date sent)."""
    sent: dict[tuple[int, str], list[tuple[str, dt.date]]] = {}
    for reminder in PolicyReminder.objects.filter(policy=policy).order_by("claimed_at", "pk"):
        assert reminder.sent_at is not None
        key = (reminder.recipient_id, reminder.channel)
        sent.setdefault(key, []).append((reminder.kind, reminder.sent_at.astimezone(LONDON).date()))
    return sent


def _weeks(due_day: int, first: int, last_day: int) -> list[tuple[str, dt.date]]:
    return [
        (f"overdue-week-{n}", _day(due_day + 7 * n))
        for n in range(first, 60)
        if due_day + 7 * n <= last_day
    ]


def _series(due_day: int, *, until: int) -> list[tuple[str, dt.date]]:
    """The reminders of a review due on day `due_day`, as sent by a daily run up to day `until`."""
    series = [(k, _day(due_day - d)) for k, d in (("60d", 60), ("30d", 30), ("7d", 7), ("due", 0))]
    return [s for s in series if START <= s[1] <= _day(until)] + _weeks(due_day, 1, until)


def test_a_year_of_beat_running_twice_a_day_sends_each_reminder_exactly_once(
    world: World, db: None
) -> None:
    with schema_context(world.school_a.schema_name):
        pupil = enrol(first="Perpetua", last="Quillfeather")
    school_people = {
        world.person("a", role).pk for role in (Role.GOVERNOR, Role.HEADTEACHER, Role.DSL)
    }
    lead = world.person("trust", Role.TRUST_SAFEGUARDING_LEAD)
    last = DAYS - 1
    with time_machine.travel(dt.datetime(2026, 1, 5, 6, tzinfo=LONDON), tick=False) as clock:
        due_today = _policy(world, title="Child protection", due=_day(0))
        later = _policy(world, title="Online safety", due=_day(200))
        reviewed = _policy(world, title="Records system", due=_day(100))
        late = _policy(world, title="Allegations", due=_day(20))  # added inside the 30-day window
        for day in range(DAYS):
            for hour in (6, 18):  # beat, and a second beat that should not have been running
                clock.move_to(dt.datetime.combine(_day(day), dt.time(hour), tzinfo=LONDON))
                reminders_send_due(today=_day(day))
            if day == 120:
                # Reviewed at the governors' meeting on day 118, recorded on day 120.
                policy_review_record(
                    actor=world.person("a", Role.GOVERNOR),
                    policy=reviewed,
                    reviewed_on=_day(118),
                    approved_by="Full governing body",
                    today=_day(day),
                )
            if day == 22:
                policy_review_record(
                    actor=world.person("a", Role.HEADTEACHER),
                    policy=late,
                    reviewed_on=_day(22),
                    approved_by="Full governing body",
                    today=_day(day),
                )

    next_due_of_late = (dt.date(2027, 1, 27) - START).days  # day 22 + 12 months
    expected = {
        due_today: _series(0, until=last),
        later: _series(200, until=last),
        reviewed: _series(100, until=120),  # none after the review: the next is a year away
        # The first run finds the 30-day reminder reached: it is sent then, not 10 days late...
        late: [("30d", _day(0)), ("7d", _day(13)), ("due", _day(20))]
        # ...and the new due date after the review starts a new series.
        + [s for s in _series(next_due_of_late, until=last) if s[0] in {"60d", "30d"}],
    }
    assert expected[reviewed][-1] == ("overdue-week-2", _day(114))
    assert [k for k, _ in expected[late]] == ["30d", "7d", "due", "60d", "30d"]
    for policy, series in expected.items():
        sent = _sent(policy)
        for person in school_people:
            for channel in ReminderChannel:
                assert sent.pop((person, channel.value)) == series, (policy.title, channel)
        overdue = [s for s in series if s[0].startswith("overdue")]
        for channel in ReminderChannel:
            assert sent.pop((lead.pk, channel.value), []) == overdue, policy.title
        assert not sent, f"{policy.title}: reminders to people who should not have any: {sent}"

    emails = mail.outbox
    assert len(emails) == PolicyReminder.objects.filter(channel=ReminderChannel.EMAIL).count()
    assert Counter(tuple(e.to) for e in emails)[(lead.email,)] == sum(
        1 for s in expected.values() for k, _ in s if k.startswith("overdue")
    )
    for email in emails:
        assert "Alder Lane Primary" in email.subject
        assert "Alder Lane Primary" in email.body
        # Only the policy, the school and the date: never a child's name.
        for secret in (pupil.legal_first_name, pupil.legal_last_name, pupil.upn):
            assert secret not in email.subject
            assert secret not in email.body


def test_the_trust_lead_hears_of_overdue_reviews_only(world: World, db: None) -> None:
    lead = world.person("trust", Role.TRUST_SAFEGUARDING_LEAD)
    _policy(world, title="Due in a week", due=dt.date(2026, 3, 8))
    _policy(world, title="Overdue", due=dt.date(2026, 2, 15))
    _policy(world, school=world.school_c, title="Other trust overdue", due=dt.date(2026, 2, 1))

    reminders_send_due(today=dt.date(2026, 3, 1))

    to_lead = PolicyReminder.objects.filter(recipient=lead)
    assert {(r.policy.title, r.kind) for r in to_lead} == {("Overdue", "overdue-week-2")}
    assert [e.subject for e in mail.outbox if e.to == [lead.email]] == [
        "Review overdue by 2 weeks: Overdue (Alder Lane Primary)"
    ]
    email = next(e for e in mail.outbox if e.to == [lead.email])
    assert "/portal/policies/" in email.body
    other_lead = world.person("other_trust", Role.TRUST_SAFEGUARDING_LEAD)
    assert {r.policy.title for r in PolicyReminder.objects.filter(recipient=other_lead)} == {
        "Other trust overdue"
    }


def test_a_suspended_school_gets_no_reminders(world: World, db: None) -> None:
    _policy(world, due=dt.date(2026, 3, 1))
    School.objects.filter(pk=world.school_a.pk).update(status=School.Status.SUSPENDED)
    assert reminders_send_due(today=dt.date(2026, 3, 1)) == 0
    assert not PolicyReminder.objects.exists()


def test_an_email_claimed_by_a_worker_that_died_is_sent_once_after_the_lease(
    world: World, db: None
) -> None:
    policy = _policy(world, due=dt.date(2026, 3, 1))
    governor = world.person("a", Role.GOVERNOR)
    with time_machine.travel(dt.datetime(2026, 3, 1, 6, tzinfo=LONDON), tick=False) as clock:
        reminders_send_due(today=dt.date(2026, 3, 1))
        # The worker died between claiming the governor's email and sending it: the email is
        # still claimed in the outbox.
        died = PolicyReminder.objects.get(
            policy=policy, recipient=governor, channel=ReminderChannel.EMAIL
        )
        PolicyReminder.objects.filter(pk=died.pk).update(sent_at=None)
        OutboxMessage.objects.filter(kind=REMINDER_EMAIL, object_id=died.pk).update(
            sent_at=None, leased_until=timezone.now() + EMAIL_CLAIM_LEASE
        )
        mail.outbox.clear()

        reminders_send_due(today=dt.date(2026, 3, 1))  # within the lease: the claim holds
        assert mail.outbox == []

        clock.shift(EMAIL_CLAIM_LEASE + dt.timedelta(seconds=1))
        reminders_send_due(today=dt.date(2026, 3, 1))
        reminders_send_due(today=dt.date(2026, 3, 1))

    assert [e.to for e in mail.outbox] == [[governor.email]]
    died.refresh_from_db()
    assert died.sent_at is not None


def test_two_workers_at_once_send_each_reminder_once(
    world: World, django_db_blocker: pytest.FixtureRequest
) -> None:
    # Committed for real: each thread has its own connection and sees only committed rows. The
    # second insert of a reminder waits for the first to commit, then hits the unique constraint.
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        policy = _policy(world, title="Concurrency check", due=dt.date(2026, 3, 1))
        try:
            mail.outbox = []
            barrier = threading.Barrier(2)
            results: list[int] = []
            errors: list[BaseException] = []

            def worker() -> None:
                try:
                    barrier.wait()
                    results.append(reminders_send_due(today=dt.date(2026, 3, 1)))
                except BaseException as error:  # reported below, in the test's thread
                    errors.append(error)
                finally:
                    connection.close()

            threads = [threading.Thread(target=worker) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

            assert not errors, errors
            # Governor, headteacher and DSL; by email and in the app.
            assert sum(results) == 6
            assert sorted(tuple(e.to) for e in mail.outbox) == sorted(
                (world.person("a", role).email,)
                for role in (Role.GOVERNOR, Role.HEADTEACHER, Role.DSL)
            )
            assert PolicyReminder.objects.filter(policy=policy).count() == 6
        finally:
            policy.delete()


def test_in_app_reminders_show_on_the_register_for_their_recipient(world: World, db: None) -> None:
    _policy(world, title="Use of the safeguarding records system", due=dt.date.today())  # noqa: DTZ011
    reminders_send_due(today=dt.date.today())  # noqa: DTZ011

    governor = school_client(world.school_a, world.person("a", Role.GOVERNOR)).get("/policies/")
    deputy = school_client(world.school_a, world.person("a", Role.DEPUTY_DSL)).get("/policies/")

    assert "Review due today" in governor.content.decode()
    assert "Your reminders" not in deputy.content.decode()


@pytest.mark.parametrize(
    ("reviewed_on", "months", "due"),
    [
        (dt.date(2026, 3, 14), 12, dt.date(2027, 3, 14)),
        (dt.date(2028, 2, 29), 12, dt.date(2029, 2, 28)),
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)),
    ],
)
def test_the_next_due_date_is_the_same_day_an_interval_later(
    reviewed_on: dt.date, months: int, due: dt.date
) -> None:
    assert review_due_after(reviewed_on, months) == due


def test_the_beat_task_sends_todays_reminders_and_a_second_run_nothing(
    world: World, db: None
) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 1, 7, tzinfo=LONDON), tick=False):
        _policy(world, due=dt.date(2026, 3, 8))
        assert policy_reminders_send_task.apply().get() == 6
        assert policy_reminders_send_task.apply().get() == 0
    assert {r.kind for r in PolicyReminder.objects.all()} == {"7d"}


def test_the_demo_seeds_an_overdue_records_system_policy_once(world: World, db: None) -> None:
    today = dt.date(2026, 6, 1)
    seed_demo_policies(world.school_b, today=today)
    seed_demo_policies(world.school_b, today=today)

    policies = Policy.objects.filter(school=world.school_b)
    assert policies.count() == len(DEMO_POLICIES)
    records = policies.get(kind=PolicyKind.RECORDS_SYSTEM)
    assert records.title == "Use of the safeguarding records system"
    assert records.status(today) is PolicyStatus.OVERDUE
    assert records.reviews.count() == 1
