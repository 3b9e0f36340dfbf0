"""Alerts of a new concern reach the DSL although Redis or the mail relay fails for a while, and
signing in does not need Redis.

Alerts are kept in an outbox in the school's database (docs/outbox.md) and retried until the mail
relay accepts them; a concern saved while the broker is down is sent by the sweeper or the next
task. Sign-in lockouts and sessions are in PostgreSQL.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, World
from tests.faults import plugin
from tests.faults.conftest import Web, csrf_of, http, record_concern, staff_recorder
from tests.faults.servers import Process, SmtpServer, celery_worker
from trustplatform.accounts.models import Role

DELIVERY_SECONDS = 15


def _delivered_to(smtp: SmtpServer, email: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(email in str(message["To"]) for message in smtp.received):
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def mail_worker(app_env: dict[str, str], smtp: SmtpServer, tmp_path: Path) -> Iterator[Process]:
    """A Celery worker that sends its emails to the test's SMTP server."""
    env = app_env | {
        "EMAIL_URL": smtp.url(),
        # Seconds where production waits minutes: a refused email is tried again after 1, 2, 4
        # seconds, and an email whose task was never queued is swept when the worker starts.
        "OUTBOX_RETRY_AFTER_SECONDS": "1",
        "OUTBOX_SWEEP_AFTER_SECONDS": "0",
    }
    worker = celery_worker(tmp_path / "worker.log", env, name="mail")
    yield worker
    worker.stop()


@pytest.fixture
def redis_down(servers: plugin.Servers) -> Iterator[None]:
    servers.redis.stop()
    try:
        yield
    finally:
        servers.redis.start()


def test_an_alert_refused_by_the_mail_relay_reaches_the_dsl_once_it_accepts_again(
    world: World, web: Web, smtp: SmtpServer, mail_worker: Process, django_db_blocker: object
) -> None:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        recorder = staff_recorder(world, world.school_a, "Perpetua", "Lindqvist")
    mail_worker.start()
    smtp.refusing = True
    _, reply = record_concern(web, world.school_a, recorder.cookies, recorder.form)
    if reply.status != 302:
        pytest.fail(f"the concern was not recorded: {reply.status}")
    time.sleep(5)  # the worker tries and is refused
    smtp.refusing = False
    dsl = world.person("a", Role.DSL)
    assert _delivered_to(smtp, dsl.email, DELIVERY_SECONDS), "the refused alert was never sent"
    assert set(smtp.count_by_message_id().values()) == {1}, "an alert was sent twice"


def test_a_concern_recorded_while_redis_is_down_gets_a_receipt_and_alerts_later(
    world: World, web: Web, smtp: SmtpServer, mail_worker: Process, django_db_blocker: object
) -> None:
    redis = plugin.SERVERS.redis  # started with the run (the web fixture needs it)
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        recorder = staff_recorder(world, world.school_a, "Ottoline", "Brackenbury")
    redis.stop()
    try:
        _, reply = record_concern(web, world.school_a, recorder.cookies, recorder.form)
    finally:
        redis.start()
    mail_worker.start()
    assert reply.status == 302, f"the member of staff saw {reply.status}, not a receipt"
    dsl = world.person("a", Role.DSL)
    assert _delivered_to(smtp, dsl.email, DELIVERY_SECONDS), "the alert was never sent"
    assert set(smtp.count_by_message_id().values()) == {1}, "an alert was sent twice"


def test_signing_in_works_while_redis_is_down(world: World, web: Web, redis_down: None) -> None:
    staff = world.person("a", Role.STAFF)
    page = http(web, world.school_a, "/accounts/login/", cookies={})
    assert page.status == 200
    reply = http(
        web,
        world.school_a,
        "/accounts/login/",
        cookies=page.cookies,
        form={
            "username": staff.email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf_of(page.text),
        },
    )
    assert reply.status == 302, reply.text[:500]
