"""A task handed to Celery after the commit carries the school it was queued in, whichever schema
the connection is in when the transaction commits (a caller that left the school's schema
before committing, or code that crosses schools in one transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django_tenants.utils import schema_context
from tenant_schemas_celery.task import headers_with_schema

from safeguarding.services.concerns import concern_record
from tests.conftest import World
from tests.safeguarding.conftest import category_ids, make_pupil, person
from trustplatform.accounts.models import Role
from trustplatform.outbox.tasks import outbox_send_task

# How many emails each task sent was asked to send.
emails: list[int] = []


@pytest.fixture
def sent_for(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The broker is the network edge: the school each alert task would be sent for."""
    schools: list[str] = []
    emails.clear()

    def apply_async(*args: Any, **kwargs: Any) -> None:
        # The header tenant-schemas-celery would put on the message.
        schools.append(str(headers_with_schema(kwargs.get("headers"))["_schema_name"]))
        emails.append(len(kwargs["args"]))

    monkeypatch.setattr(outbox_send_task, "apply_async", apply_async)
    return schools


def test_the_alert_email_tasks_carry_the_school_the_concern_was_recorded_in(
    world: World,
    db: None,
    sent_for: list[str],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    staff = world.person("a", Role.STAFF)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with schema_context(world.school_a.schema_name):
            concern_record(
                school=world.school_a,
                author=person(staff, Role.STAFF),
                pupil_ids=[make_pupil("Invented", "Pupil").pk],
                category_ids=category_ids("neglect"),
                account="Said she had not eaten since yesterday lunchtime.",
            )
        # The school's schema is left before the transaction commits, in another school's.
        with schema_context(world.school_b.schema_name):
            pass

    # One email task for the concern's alerts (the DSL's and the deputy's), for school A.
    assert sent_for == [world.school_a.schema_name]
    assert emails == [2]
