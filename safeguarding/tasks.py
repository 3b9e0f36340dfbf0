"""Celery tasks of a school: thin, ids only, safe to run twice. Tasks call services; services
send tasks by name (safeguarding/queueing.py) and never import this module.

Ids only: docs/rules.md, "No side channels".
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from safeguarding.models import Alert, Allegation
from safeguarding.services.allegations import allegations_escalate_overdue
from safeguarding.services.concerns import concerns_escalate_overdue
from safeguarding.services.exports import export_render
from tenants.addresses import site_url
from tenants.db import school_connection
from tenants.models import School
from trustplatform.accounts.models import User
from trustplatform.celery import SchoolTask, app

# The email says only that something needs attention, with a link: no name, no text.
ALERT_SUBJECT = "A safeguarding concern needs your attention"
ALERT_BODY = (
    "A safeguarding concern at {school} needs your attention.\n\n"
    "Sign in to see it: {link}\n\n"
    "This email deliberately contains no details."
)


@app.task(base=SchoolTask, name="safeguarding.concern_alert_emails")
def concern_alert_emails_task(concern_id: int) -> int:
    """Emails each not-yet-emailed alert of the concern; each alert is claimed before sending."""
    school = School.objects.get(schema_name=school_connection.schema_name)
    # An allegation opens on its own page: the case manager reads that page and no concern.
    is_allegation = Allegation.objects.filter(concern_id=concern_id).exists()
    link = site_url(
        school, f"/allegations/{concern_id}/" if is_allegation else f"/concerns/{concern_id}/"
    )
    sent = 0
    for alert_id, user_id in Alert.objects.filter(
        concern_id=concern_id, emailed_at__isnull=True
    ).values_list("pk", "user_id"):
        if not Alert.objects.filter(pk=alert_id, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        ):
            continue  # another run claimed it
        email = (
            User.objects.filter(pk=user_id, is_active=True).values_list("email", flat=True).first()
        )
        if email:
            send_mail(
                ALERT_SUBJECT,
                ALERT_BODY.format(school=school.name, link=link),
                settings.DEFAULT_FROM_EMAIL,
                [email],
            )
            sent += 1
    return sent


@app.task(base=SchoolTask, name="safeguarding.concerns_escalate")
def concerns_escalate_school_task() -> int:
    school = School.objects.get(schema_name=school_connection.schema_name)
    # Concerns not screened in time, and allegations not reported to the LADO in time.
    return len(concerns_escalate_overdue(school=school)) + len(
        allegations_escalate_overdue(school=school)
    )


@app.task(base=SchoolTask, name="safeguarding.chronology_export")
def chronology_export_task(job_id: int) -> bool:
    """Makes the PDF of a queued chronology export; a second run finds the job claimed."""
    return export_render(job_id=job_id)
