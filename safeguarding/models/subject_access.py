"""Subject access requests (UK GDPR Art. 15) for a pupil's record: what the requester receives.

docs/rules.md, "Subject access": the DSL or a deputy opens the request, decides entry by entry
what is released and what is withheld under which exemption, names the third parties to redact,
and releases one PDF, kept here as exports are.
"""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from safeguarding.models.chronology import ChronologyEntry
from safeguarding.models.exports import ExportJob
from safeguarding.models.pupils import Pupil
from safeguarding.storage import document_storage
from tenants.db import school_connection


def release_upload_to(instance: object, filename: str) -> str:
    """`<schema_name>/subject-access/<random hex>.pdf`: under the school's own prefix."""
    schema = school_connection.schema_name
    if schema == get_public_schema_name():
        raise RuntimeError("Subject access releases are stored from inside a school's schema.")
    return f"{schema}/subject-access/{uuid.uuid4().hex}.pdf"


class Exemption(models.TextChoices):
    """Why an entry is withheld: the exemptions of the Data Protection Act 2018 a school uses."""

    THIRD_PARTY = "third_party", "Third-party data (DPA 2018 Sch. 2 para. 16)"
    CHILD_ABUSE = (
        "child_abuse",
        "Child-abuse data not in the child's best interests (DPA 2018 Sch. 3 para. 21)",
    )
    LEGAL_PRIVILEGE = "legal_privilege", "Legal professional privilege (DPA 2018 Sch. 2 para. 19)"
    CRIME = "crime", "Prevention and detection of crime (DPA 2018 Sch. 2 para. 2)"


class SubjectAccessRequest(models.Model):
    class Requester(models.TextChoices):
        CHILD = "child", "The child"
        PARENT = "parent", "A parent or carer"
        SOLICITOR = "solicitor", "A solicitor"
        OTHER = "other", "Someone else on the child's behalf"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        # Released by the DSL, its PDF being made by a worker: it can no longer change.
        RELEASING = "releasing", "Being released"
        RELEASED = "released", "Released"

    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="subject_access")
    requester_kind = models.CharField(max_length=20, choices=Requester.choices)
    # Who asked, as the DSL writes it ("Ms R. Example, mother"): kept here only, never in a URL.
    requester = models.CharField(max_length=200)
    received_on = models.DateField()
    # One calendar month from receipt (safeguarding/services/subject_access.py, `sar_due_on`).
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # People by id with a snapshot of name and role: no foreign key to the public schema.
    opened_by_id = models.BigIntegerField()
    opened_by_name = models.CharField(max_length=200)
    opened_by_role = models.CharField(max_length=30)
    opened_at = models.DateTimeField(default=timezone.now)
    # Names and phrases replaced by "[redacted]" in every released text.
    redactions = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by_id = models.BigIntegerField(null=True, blank=True)
    released_by_name = models.CharField(max_length=200, blank=True)
    released_by_role = models.CharField(max_length=30, blank=True)
    released_to = models.CharField(max_length=200, blank=True)
    released_count = models.PositiveIntegerField(default=0)
    withheld_count = models.PositiveIntegerField(default=0)
    file = models.FileField(
        storage=document_storage, upload_to=release_upload_to, max_length=255, blank=True
    )
    file_sha256 = models.CharField(max_length=64, blank=True)
    # The worker's job that makes the PDF (its progress, and a failure that reopens the request).
    release_job = models.OneToOneField(
        ExportJob,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subject_access_release",
    )

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"], name="sar_open_due")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "releasing", "released"]),
                name="sar_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(due_on__gt=models.F("received_on")), name="sar_due_after"
            ),
            # A released request always has its file and its time.
            models.CheckConstraint(
                condition=~models.Q(status="released")
                | (~models.Q(file="") & models.Q(released_at__isnull=False)),
                name="sar_released_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"subject access request {self.pk}"  # never a name: str() ends up in logs


class SubjectAccessWithholding(models.Model):
    """One chronology entry withheld from a request's release, and the exemption relied on.
    An entry of the pupil without one is released."""

    request = models.ForeignKey(
        SubjectAccessRequest, on_delete=models.CASCADE, related_name="withholdings"
    )
    entry = models.ForeignKey(ChronologyEntry, on_delete=models.PROTECT, related_name="+")
    exemption = models.CharField(max_length=20, choices=Exemption.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "entry"], name="sar_withheld_once"),
            models.CheckConstraint(
                condition=models.Q(exemption__in=[value for value, _ in Exemption.choices]),
                name="sar_exemption_known",
            ),
        ]

    def __str__(self) -> str:
        return f"entry {self.entry_id} withheld from request {self.request_id}"
