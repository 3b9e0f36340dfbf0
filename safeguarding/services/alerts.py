"""Alerting people of this school, shared by concerns and allegations.

An alert says only that something needs attention; its email too (docs/rules.md, "No side
channels"). Emails go through the outbox: added in the transaction that writes the alert, sent
by a worker after the commit, retried until the mail server accepts (docs/outbox.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from safeguarding.models import Alert, Allegation, Concern
from tenants.addresses import site_url
from tenants.db import school_connection
from tenants.models import School
from trustplatform.accounts.models import Role, SchoolMembership, User
from trustplatform.outbox.registry import Email, outbox_kind_register
from trustplatform.outbox.selectors import outbox_undelivered
from trustplatform.outbox.services import outbox_add_many, outbox_add_new
from trustplatform.prepared import Prepared
from trustplatform.statistics.services import statistics_refresh_soon

ALERT_EMAIL = "safeguarding.alert"
# Emails are rendered by a worker, outside any request: links name the school sites' URLconf.
SCHOOL_URLCONF = "trustplatform.urls_tenant"

# The email says only that something needs attention, with a link: no name, no text.
ALERT_SUBJECT = "A safeguarding concern needs your attention"
ALERT_BODY = (
    "A safeguarding concern at {school} needs your attention.\n\n"
    "Sign in to see it: {link}\n\n"
    "This email deliberately contains no details."
)
# An action assigned to someone: a link to their tasks, never the pupil or what is to be done.
TASK_SUBJECT = "A safeguarding task has been assigned to you"
TASK_BODY = (
    "A safeguarding task at {school} has been assigned to you.\n\n"
    "Sign in to see your tasks: {link}\n\n"
    "This email deliberately contains no details."
)


# One compiled query per set of roles asked for (a handful in all): the roles are constants of
# its SQL, the school a parameter.
_MEMBERS: dict[frozenset[Role], Prepared] = {}


def _members_query(roles: frozenset[Role]) -> Prepared:
    query = _MEMBERS.get(roles)
    if query is None:
        wanted = sorted(roles)
        query = _MEMBERS[roles] = Prepared(
            lambda school_id: SchoolMembership.objects.filter(
                school_id=school_id, role__in=wanted
            ).values("user_id"),
            SchoolMembership,
        )
    return query


def member_ids(school: School, roles: Iterable[Role]) -> list[int]:
    wanted = frozenset(roles)
    if not wanted:
        return []
    return [row["user_id"] for row in _members_query(wanted).rows(school_id=school.pk)]


def alert(user_ids: Iterable[int], concern: Concern, reason: Alert.Reason) -> None:
    # One INSERT; the unique constraint turns a second alert for the same reason into a no-op.
    Alert.objects.bulk_create(
        [Alert(user_id=user_id, concern=concern, reason=reason) for user_id in set(user_ids)],
        ignore_conflicts=True,
    )


def alert_new_concern(user_ids: Iterable[int], concern: Concern) -> None:
    """The alerts of a concern recorded in this transaction, and their emails in the outbox: one
    INSERT each (RETURNING their ids). Nothing of a new concern can be there already, so neither
    needs the conflict handling and the read back that `alert` and `alert_emails_after_commit`
    do for a concern that may have alerts already."""
    alerts = Alert.objects.bulk_create(
        [
            Alert(user_id=user_id, concern=concern, reason=Alert.Reason.NEW_CONCERN)
            for user_id in sorted(set(user_ids))
        ]
    )
    outbox_add_new(kind=ALERT_EMAIL, object_ids=[a.pk for a in alerts])


def statistics_changed() -> None:
    # The trust's figures are counts rolled up from this school after the commit
    # (docs/rules.md, "Trust statistics").
    statistics_refresh_soon(school_connection.schema_name)


def alert_emails_after_commit(concern: Concern) -> None:
    """Adds an email for each alert of the concern not emailed yet, in this transaction; they are
    sent after the commit, and a broker that is down delays them, never the concern."""
    outbox_add_many(
        kind=ALERT_EMAIL,
        object_ids=list(
            Alert.objects.filter(concern=concern, emailed_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        ),
    )


def alert_email(alert_id: int) -> Email | None:
    """The email of one alert, rendered when it is sent; None once there is no one to send to."""
    alert = Alert.objects.filter(pk=alert_id).values_list("user_id", "concern_id", "reason").first()
    if alert is None:
        return None
    user_id, concern_id, reason = alert
    email = User.objects.filter(pk=user_id, is_active=True).values_list("email", flat=True).first()
    if not email:
        return None
    school = School.objects.get(schema_name=school_connection.schema_name)
    if reason == Alert.Reason.ACTION_ASSIGNED:
        # The assignee may read no concern: their tasks page shows what they need.
        link = site_url(school, reverse("safeguarding:my_tasks", urlconf=SCHOOL_URLCONF))
        return Email(
            subject=TASK_SUBJECT,
            body=TASK_BODY.format(school=school.name, link=link),
            to=[email],
        )
    # An allegation opens on its own page: the case manager reads that page and no concern.
    is_allegation = Allegation.objects.filter(concern_id=concern_id).exists()
    link = site_url(
        school, f"/allegations/{concern_id}/" if is_allegation else f"/concerns/{concern_id}/"
    )
    return Email(
        subject=ALERT_SUBJECT,
        body=ALERT_BODY.format(school=school.name, link=link),
        to=[email],
    )


@dataclass(frozen=True)
class UndeliveredAlert:
    concern_id: int
    reason: str
    recipient: str


def alerts_undelivered() -> list[UndeliveredAlert]:
    """Alert emails given up after the last attempt, newest first: the DSL tells those people.

    Shown to screeners only; the concern's link and the recipient, never anything of the child.
    """
    alert_ids = outbox_undelivered(kind=ALERT_EMAIL).values("object_id")
    alerts = list(
        Alert.objects.filter(pk__in=alert_ids, emailed_at__isnull=True)
        # An allegation's alerts go to its case manager, whose business it stays.
        .exclude(concern__allegation__isnull=False)
        .order_by("-created_at")
    )
    names = dict(
        User.objects.filter(pk__in={a.user_id for a in alerts}).values_list("pk", "full_name")
    )
    return [
        UndeliveredAlert(
            concern_id=a.concern_id,
            reason=Alert.Reason(a.reason).label,
            recipient=names.get(a.user_id, "a former member of staff"),
        )
        for a in alerts
    ]


def _alert_emailed(alert_id: int) -> None:
    Alert.objects.filter(pk=alert_id, emailed_at__isnull=True).update(emailed_at=timezone.now())


def _alert_not_delivered(alert_id: int) -> None:
    # The trust lead's overdue figures count alert emails not delivered.
    statistics_changed()


outbox_kind_register(
    ALERT_EMAIL, render=alert_email, on_sent=_alert_emailed, on_given_up=_alert_not_delivered
)
