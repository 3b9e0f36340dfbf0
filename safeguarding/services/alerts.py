"""Alerting people of this school, shared by concerns and allegations.

An alert says only that something needs attention; the email after commit too
(docs/rules.md, "No side channels").
"""

from __future__ import annotations

from collections.abc import Iterable

from safeguarding.models import Alert, Concern
from safeguarding.queueing import CONCERN_ALERT_EMAILS, task_send_after_commit
from tenants.db import school_connection
from tenants.models import School
from trustplatform.accounts.models import Role, SchoolMembership
from trustplatform.statistics.services import statistics_refresh_soon


def member_ids(school: School, roles: Iterable[Role]) -> list[int]:
    return list(
        SchoolMembership.objects.filter(school=school, role__in=list(roles)).values_list(
            "user_id", flat=True
        )
    )


def alert(user_ids: Iterable[int], concern: Concern, reason: Alert.Reason) -> None:
    # One INSERT; the unique constraint turns a second alert for the same reason into a no-op.
    Alert.objects.bulk_create(
        [Alert(user_id=user_id, concern=concern, reason=reason) for user_id in set(user_ids)],
        ignore_conflicts=True,
    )


def statistics_changed() -> None:
    # The trust's figures are counts rolled up from this school after the commit
    # (docs/rules.md, "Trust statistics").
    statistics_refresh_soon(school_connection.schema_name)


def alert_emails_after_commit(concern: Concern) -> None:
    # Arguments are ids; the school travels in the message header (safeguarding/queueing.py).
    task_send_after_commit(CONCERN_ALERT_EMAILS, concern.pk)
