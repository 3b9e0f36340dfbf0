"""A Celery worker killed with SIGKILL while it sends an alert email: the DSL still gets it.

Killed before the mail server kept the email, another worker sends it once. Killed after the
server kept it but before the worker marked it sent (the server's answer lost with the worker),
it is sent again, at most once more, with the same Message-ID: a mail client shows one email.

The workers run with a broker visibility timeout of seconds (production: 20 minutes), after which
the killed worker's unacknowledged task goes to the other worker, and the email's claim lapses.
"""

from __future__ import annotations

import time
from email.message import Message
from pathlib import Path

import pytest
from django.db import connections
from django_tenants.utils import schema_context

from safeguarding.models import Alert
from safeguarding.services.alerts import ALERT_EMAIL
from tests.conftest import World
from tests.faults.conftest import Web, record_concern, staff_recorder
from tests.faults.servers import Process, SmtpServer, celery_worker, wait_until
from trustplatform.accounts.models import Role
from trustplatform.outbox.models import OutboxMessage
from trustplatform.outbox.services import message_id_header

VISIBILITY_SECONDS = 2
# How soon the DSL may expect the alert after the worker sending it died.
DELIVERY_SECONDS = 30


@pytest.mark.parametrize("kept", [False, True], ids=["before-accepted", "after-accepted"])
def test_an_alert_whose_worker_is_killed_while_sending_reaches_the_dsl(  # noqa: PLR0917 - fixtures
    kept: bool,
    world: World,
    web: Web,
    smtp: SmtpServer,
    app_env: dict[str, str],
    django_db_blocker: object,
    tmp_path: Path,
) -> None:
    school = world.school_a
    env = app_env | {
        "EMAIL_URL": smtp.url(),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
    }
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        recorder = staff_recorder(world, school, "Wilhelmina", f"Kept{kept}")
    workers: list[Process] = []
    first = celery_worker(tmp_path / "first.log", env, name="first").start()
    workers.append(first)

    def kill_the_sender(message: Message) -> bool:
        first.kill()
        return kept

    smtp.on_next_message = kill_the_sender
    try:
        _, reply = record_concern(web, school, recorder.cookies, recorder.form)
        assert reply.status == 302, f"the concern was not recorded: {reply.status}"
        wait_until(lambda: not first.alive(), 60, "the first worker trying to send the alert")
        # The other worker's first look at unacknowledged messages, when it starts, must come
        # after the visibility timeout (the next is more than a minute later).
        time.sleep(VISIBILITY_SECONDS)

        second = celery_worker(tmp_path / "second.log", env, name="second").start()
        workers.append(second)
        with django_db_blocker.unblock(), schema_context(school.schema_name):  # type: ignore[attr-defined]
            alerts = Alert.objects.filter(concern__pupils=recorder.pupil).values("pk")
            emails = OutboxMessage.objects.filter(kind=ALERT_EMAIL, object_id__in=alerts)
            try:
                wait_until(
                    lambda: not emails.filter(sent_at__isnull=True).exists(),
                    DELIVERY_SECONDS,
                    "every alert sent after the worker died",
                )
            except TimeoutError:
                pytest.fail(f"an alert is still unsent:\n{second.log_text()[-3000:]}")
            expected = {message_id_header(message) for message in emails}
        time.sleep(VISIBILITY_SECONDS + 1)  # a second resend, if any, would arrive meanwhile
    finally:
        for worker in workers:
            worker.stop()
        connections.close_all()

    counts = {key: n for key, n in smtp.count_by_message_id().items() if key in expected}
    assert set(counts) == expected, "an alert never reached the mail server"
    resent = [key for key, n in counts.items() if n > 1]
    assert all(n <= 2 for n in counts.values()), f"an alert was sent {max(counts.values())} times"
    assert len(resent) == (1 if kept else 0), f"alerts sent twice: {resent}"
    dsl = world.person("a", Role.DSL)
    assert any(dsl.email in str(message["To"]) for message in smtp.received)
