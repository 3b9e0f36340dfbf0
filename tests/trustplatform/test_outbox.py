"""Redis down, the broker down, the mail server refusing: records are kept, sign-in works, and
each alert email arrives once, or is shown as not delivered (docs/outbox.md).

Redis and the broker are made unreachable by pointing them at a closed port; the mail server is
a real SMTP server (aiosmtpd) on a free port. Tasks run in this process (Celery's eager mode),
inside the test's transaction, so the sweeper sees the rows the request wrote.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from typing import Any

import pytest
import redis
import time_machine
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker
from celery.signals import setup_logging
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.models import Alert, Concern
from tenants.models import School
from tests.conftest import PASSWORD, World, school_client
from tests.safeguarding.conftest import category_ids, make_pupil
from trustplatform.accounts.models import Role, SchoolMembership
from trustplatform.celery import app
from trustplatform.outbox.models import OutboxMessage
from trustplatform.outbox.registry import Email, outbox_kind_register
from trustplatform.outbox.services import outbox_add, outbox_send
from trustplatform.outbox.tasks import outbox_sweep_task
from trustplatform.statistics.services import school_statistics_refresh

ACCOUNT = 'She said "I have not had breakfast all week" and asked to keep it secret.'


def _closed_port() -> int:
    """A port nothing listens on: bound by the OS, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _broker_at(url: str) -> None:
    app.conf.broker_url = url
    # Connections and producers are pooled per broker: new ones are made for the new URL.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_down(settings: SettingsWrapper) -> Iterator[None]:
    """The cache and the broker point at a closed port, as when Redis is stopped."""
    dead = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.CACHES = {
        "default": settings.CACHES["default"]
        | {"BACKEND": "trustplatform.cache.ForgivingRedisCache", "LOCATION": dead}
    }
    configured = app.conf.broker_url
    _broker_at(dead)
    yield
    _broker_at(configured)


@pytest.fixture
def eager() -> Iterator[None]:
    """Tasks run in this process at once, as a worker would run them."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@dataclass
class RefusingThenAccepting:
    """An SMTP handler that answers 451 to the first `refusals` messages, then accepts."""

    refusals: int = 0
    accepted: list[tuple[list[str], str, str]] = field(default_factory=list)
    refused_ids: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        if self.refusals:
            self.refusals -= 1
            self.refused_ids.append(str(message["Message-ID"]))
            return "451 4.3.0 Try again later"
        body = message.get_payload(decode=True)
        text = f"{message['Subject']}\n{body.decode() if isinstance(body, bytes) else body}"
        self.accepted.append((list(envelope.rcpt_tos), str(message["Message-ID"]), text))
        return "250 OK"


@pytest.fixture
def smtp(settings: SettingsWrapper) -> Iterator[RefusingThenAccepting]:
    handler = RefusingThenAccepting()
    port = _closed_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield handler
    controller.stop()


def _record_through_the_page(world: World, school: School, on_commit: Callable[..., Any]) -> Any:
    with schema_context(school.schema_name):
        pupil = make_pupil("Elowen", "Marchetti")
        categories = [str(c) for c in category_ids("neglect")]
    client = school_client(school, world.person("a", Role.STAFF))
    with on_commit(execute=True):
        return client.post(
            "/concerns/new/",
            {
                "pupils": [str(pupil.pk)],
                "categories": categories,
                "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "location": "Dining hall",
                "account": ACCOUNT,
            },
        )


def _sweep_after(minutes: int) -> int:
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=minutes), tick=False):
        return int(outbox_sweep_task.apply().get())


def _alert_emails(school: School) -> list[OutboxMessage]:
    with schema_context(school.schema_name):
        return list(OutboxMessage.objects.filter(kind="safeguarding.alert").order_by("pk"))


def test_signing_in_works_while_redis_is_down(world: World, db: None, redis_down: None) -> None:
    staff = world.person("a", Role.STAFF)
    client = school_client(world.school_a)

    response = client.post(
        "/accounts/login/?next=/guidance/",
        {"username": staff.email, "password": PASSWORD, "next": "/guidance/"},
    )

    assert response.status_code == 302
    assert client.get("/guidance/").status_code == 200


def test_a_lockout_and_its_cool_off_work_while_redis_is_down(
    world: World, db: None, redis_down: None
) -> None:
    staff = world.person("a", Role.STAFF)
    client = school_client(world.school_a)
    client.defaults["REMOTE_ADDR"] = "10.9.8.7"
    for _ in range(5):
        client.post("/accounts/login/", {"username": staff.email, "password": "not-this-one"})

    refused = client.post("/accounts/login/", {"username": staff.email, "password": PASSWORD})

    assert "Too many attempts" in refused.text


def test_a_concern_recorded_while_the_broker_is_down_is_kept_and_its_alerts_sent_once_later(
    world: World,
    db: None,
    redis_down: None,
    smtp: RefusingThenAccepting,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    response = _record_through_the_page(world, world.school_a, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert (
        "Receipt for your concern"
        in school_client(world.school_a, world.person("a", Role.STAFF))
        .get(response["Location"])
        .text
    )
    with schema_context(world.school_a.schema_name):
        assert Concern.objects.filter(account=ACCOUNT).exists()
    assert [m.sent_at for m in _alert_emails(world.school_a)] == [None, None]
    assert smtp.accepted == []

    # A worker is back (here, in this process); the sweeper finds the alerts two minutes on.
    app.conf.task_always_eager = True
    try:
        assert _sweep_after(1) == 0  # not yet: the task sent after the commit may still run
        assert _sweep_after(3) == 2
        assert _sweep_after(4) == 0
    finally:
        app.conf.task_always_eager = False

    assert sorted(to for to, _, _ in smtp.accepted) == sorted(
        [[world.person("a", Role.DSL).email], [world.person("a", Role.DEPUTY_DSL).email]]
    )
    for _, _, text in smtp.accepted:
        assert "Elowen" not in text and "Marchetti" not in text and "breakfast" not in text
    with schema_context(world.school_a.schema_name):
        assert not Alert.objects.filter(emailed_at__isnull=True).exists()


def test_a_mail_server_refusing_then_accepting_delivers_each_alert_once_with_one_message_id(
    world: World,
    db: None,
    eager: None,
    smtp: RefusingThenAccepting,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    smtp.refusals = 1
    assert (
        _record_through_the_page(world, world.school_a, django_capture_on_commit_callbacks)
    ).status_code == 302
    assert len(smtp.accepted) == 1  # one of the two refused, the other accepted
    [refused] = [m for m in _alert_emails(world.school_a) if m.sent_at is None]
    assert refused.attempts == 1
    assert refused.last_error == "SMTPDataError 451"

    assert _sweep_after(1) == 0  # the retry waits a minute after the failure
    assert _sweep_after(3) == 1
    assert _sweep_after(10) == 0

    recipients = sorted(to[0] for to, _, _ in smtp.accepted)
    assert recipients == sorted(
        [world.person("a", Role.DSL).email, world.person("a", Role.DEPUTY_DSL).email]
    )
    message_ids = [message_id for _, message_id, _ in smtp.accepted]
    assert len(set(message_ids)) == 2
    # The resend is the same email as the refused one, to the receiving server.
    assert smtp.refused_ids[0] in message_ids


@pytest.mark.usefixtures("db", "eager")
def test_an_alert_given_up_after_the_last_attempt_shows_as_not_delivered_to_the_dsl(
    world: World,
    smtp: RefusingThenAccepting,
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 3
    smtp.refusals = 1000
    _record_through_the_page(world, world.school_a, django_capture_on_commit_callbacks)
    dsl_home = school_client(world.school_a, world.person("a", Role.DSL))
    assert "Alert not delivered" not in dsl_home.get("/").text

    for minutes in (3, 6, 12, 30, 60):
        _sweep_after(minutes)

    emails = _alert_emails(world.school_a)
    assert [(m.attempts, m.given_up_at is not None) for m in emails] == [(3, True), (3, True)]
    assert smtp.accepted == []
    page = dsl_home.get("/").text
    notice = page[page.index('aria-labelledby="alerts-undelivered"') :].split("</section>")[0]
    assert "Alert not delivered" in notice
    assert world.person("a", Role.DEPUTY_DSL).full_name in notice
    # The notice names who was not told, never the child (the dashboard below lists the
    # concern, as the DSL reads every record).
    assert "Elowen" not in notice
    # Staff who record concerns are not told.
    staff_home = school_client(world.school_a, world.person("a", Role.STAFF)).get("/").text
    assert "Alert not delivered" not in staff_home

    # The trust lead's figures count them (a count, no names), once the school is refreshed.
    school_statistics_refresh(school=world.school_a)
    lead = school_client(None, world.person("trust", Role.TRUST_SAFEGUARDING_LEAD))
    dashboard = lead.get("/portal/statistics/").text
    assert "Alert not delivered" in dashboard
    assert "Alder Lane Primary: 2 alert emails" in dashboard
    assert world.person("a", Role.DEPUTY_DSL).full_name not in dashboard


def test_alert_emails_never_wait_behind_exports_and_every_task_has_time_limits() -> None:
    def queue_of(task_name: str) -> str:
        return str(app.amqp.router.route({}, task_name)["queue"].name)

    assert queue_of("outbox.send") == queue_of("outbox.sweep") == "alerts"
    assert queue_of("safeguarding.chronology_export") == "exports"
    assert queue_of("statistics.school_refresh") == "statistics"
    assert queue_of("policies.policy_reminders_send") == "default"
    app.loader.import_default_modules()  # every app's tasks module, as a worker loads them
    ours = [task for name, task in app.tasks.items() if not name.startswith(("celery.", "tests."))]
    assert {"outbox.sweep", "statistics.rebuild_all", "tenants.escalate_unscreened_concerns"} <= {
        task.name for task in ours
    }
    for task in ours:
        assert task.acks_late, task.name
        assert task.soft_time_limit and task.time_limit, task.name
        assert task.soft_time_limit < task.time_limit, task.name
    assert app.conf.worker_prefetch_multiplier == 1


# --- a real worker, on a Redis that is stopped and started again ---------------------------------

NOTE_EMAIL = "tests.outbox_note"
outbox_kind_register(
    NOTE_EMAIL,
    render=lambda object_id: Email(
        subject="A note from the outbox test", body=f"Note {object_id}", to=["dsl@example.org"]
    ),
)


@pytest.fixture
def redis_stopped(tmp_path: Any) -> Iterator[Callable[[], None]]:
    """The broker's address, with nothing listening yet; calling the result starts a private
    redis-server there (stopped again after the test)."""
    port = _closed_port()
    configured = app.conf.broker_url
    _broker_at(f"redis://127.0.0.1:{port}/0")
    servers: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        servers.append(
            subprocess.Popen(
                [
                    *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no", "--dir", str(tmp_path)),
                ],
                stdout=subprocess.DEVNULL,
            )
        )
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)

    yield start
    _broker_at(configured)
    for server in servers:
        server.terminate()
        server.wait(timeout=10)


def _keep_django_logging(**kwargs: Any) -> None:
    """Connected to `setup_logging`: Celery then leaves the logging configuration alone."""


@pytest.mark.celery
@pytest.mark.usefixtures("world")
def test_an_email_added_while_redis_was_stopped_is_sent_once_by_the_sweeper_and_a_real_worker(
    django_db_blocker: Any,
    smtp: RefusingThenAccepting,
    redis_stopped: Callable[[], None],
    settings: SettingsWrapper,
) -> None:
    settings.OUTBOX_SWEEP_AFTER_SECONDS = 0
    with django_db_blocker.unblock():
        try:
            # Committed for real, in the public schema: the worker has its own connection.
            outbox_add(kind=NOTE_EMAIL, object_id=4242)  # queuing fails: Redis is stopped
            [message] = OutboxMessage.objects.filter(kind=NOTE_EMAIL)
            assert message.sent_at is None

            redis_stopped()
            setup_logging.connect(_keep_django_logging)
            try:
                with start_worker(
                    app,
                    pool="solo",
                    perform_ping_check=False,
                    queues=["alerts"],
                    loglevel="WARNING",
                ):
                    assert outbox_sweep_task.apply().get() >= 1
                    for _ in range(200):
                        if smtp.accepted:
                            break
                        time.sleep(0.1)
                    assert outbox_sweep_task.apply().get() == 0
                    time.sleep(1)
            finally:
                setup_logging.disconnect(_keep_django_logging)
            message.refresh_from_db()
        finally:
            OutboxMessage.objects.filter(kind=NOTE_EMAIL).delete()

    assert [to for to, _, _ in smtp.accepted] == [["dsl@example.org"]]
    assert message.sent_at is not None and message.attempts == 1


@pytest.mark.usefixtures("db", "eager")
def test_an_invitation_made_while_the_mail_server_is_down_is_kept_and_its_email_sent_later(
    world: World,
    smtp: RefusingThenAccepting,
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    server_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = _closed_port()  # the mail server is down
    client = school_client(world.school_a, world.person("a", Role.DSL))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/invite/",
            {"full_name": "Orla Venn", "email": "orla.venn@example.org", "role": Role.STAFF},
        )

    assert response.status_code == 302
    assert SchoolMembership.objects.filter(
        user__email="orla.venn@example.org", school=world.school_a, role=Role.STAFF
    ).exists()
    with schema_context(world.school_a.schema_name):
        [waiting] = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert waiting.attempts == 1 and waiting.last_error.startswith("ConnectionRefusedError")

    settings.EMAIL_PORT = server_port  # the mail server is back
    assert _sweep_after(3) == 1
    assert _sweep_after(10) == 0
    [(to, _, text)] = smtp.accepted
    assert to == ["orla.venn@example.org"]
    assert "/accounts/invite/" in text
    assert world.school_a.name in text


@pytest.mark.usefixtures("db", "eager")
def test_a_handover_made_while_the_mail_server_is_down_succeeds_and_the_notices_arrive_later(
    world: World,
    smtp: RefusingThenAccepting,
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    server_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = _closed_port()  # the mail server is down
    dsl, deputy = world.person("a", Role.DSL), world.person("a", Role.DEPUTY_DSL)
    client = school_client(world.school_a, world.person("a", Role.HEADTEACHER))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/handover/",
            {"new_dsl": deputy.pk, "previous_dsl_role": Role.DEPUTY_DSL},
        )

    assert response.status_code == 302
    assert SchoolMembership.objects.get(school=world.school_a, user=deputy).role == Role.DSL
    assert SchoolMembership.objects.get(school=world.school_a, user=dsl).role == Role.DEPUTY_DSL
    with schema_context(world.school_a.schema_name):
        waiting = list(OutboxMessage.objects.filter(sent_at__isnull=True))
    # The new DSL's email and the outgoing DSL's notice, both kept while the server is down.
    assert len(waiting) == 2
    assert all(m.last_error.startswith("ConnectionRefusedError") for m in waiting)

    settings.EMAIL_PORT = server_port  # the mail server is back
    assert _sweep_after(3) == 2
    assert _sweep_after(10) == 0
    told = sorted((to, text) for to, _, text in smtp.accepted)
    assert [to for to, _ in told] == sorted([[dsl.email], [deputy.email]])
    notice = dict((to[0], text) for to, text in told)[dsl.email]
    assert "has passed to a colleague" in notice
    assert world.school_a.name in notice
    assert deputy.full_name not in notice and dsl.full_name not in notice


@pytest.mark.usefixtures("db")
def test_an_email_whose_worker_was_lost_at_every_attempt_is_given_up_not_sent_for_ever(
    settings: SettingsWrapper, smtp: RefusingThenAccepting
) -> None:
    """Each attempt claimed it and never ended (its worker killed while sending): after the last
    one the sweeper's next run gives it up, shown as not delivered, instead of trying again."""
    settings.OUTBOX_MAX_ATTEMPTS = 3
    with schema_context("public"):
        outbox_add(kind=NOTE_EMAIL, object_id=4343, send_after_commit=False)
        OutboxMessage.objects.filter(kind=NOTE_EMAIL, object_id=4343).update(
            attempts=3, leased_until=timezone.now() - dt.timedelta(minutes=1)
        )
        [message] = OutboxMessage.objects.filter(kind=NOTE_EMAIL, object_id=4343)

        assert outbox_send(message_id=message.pk) is False

        message.refresh_from_db()
        assert message.given_up_at is not None and message.sent_at is None
        assert message.last_error == "WorkerLost"
        assert smtp.accepted == []
        # Given up: the sweeper leaves it.
        assert outbox_send(message_id=message.pk) is False
        assert smtp.accepted == []
