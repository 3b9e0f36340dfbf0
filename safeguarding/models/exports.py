"""PDF exports of a pupil's chronology: each one a job, its file in the school's private storage."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from safeguarding.models.pupils import Pupil
from safeguarding.storage import document_storage
from tenants.db import school_connection


def export_upload_to(instance: object, filename: str) -> str:
    """`<schema_name>/exports/<random hex>.pdf`: under the school's own prefix, like documents."""
    schema = school_connection.schema_name
    if schema == get_public_schema_name():
        # The public schema holds no child data: an export written from there is a bug
        # (docs/rules.md, "Child data stays in its school").
        raise RuntimeError("Exports are stored from inside a school's schema only.")
    return f"{schema}/exports/{uuid.uuid4().hex}.pdf"


class ExportJob(models.Model):
    """One request for a PDF of a pupil's chronology, and the file it produced.

    The export is made from the school's chronology as it stood when it was requested: the
    chain head (row_hash of the school's newest entry) is fixed then, and only entries up to it
    are rendered, so a file made later by a worker still matches the hash it is stamped with.
    """

    class Version(models.TextChoices):
        FULL = "full", "Full (evidential)"
        EXTERNAL = "external", "External (staff names removed)"
        # The whole file for a school outside the trust (docs/transfers.md, "Outside the trust"):
        # encrypted with a password shown once, and a printable copy with a receipt page.
        PACKAGE = "package", "Transfer package (encrypted)"
        PRINTABLE = "printable", "Transfer package (printable, with receipt page)"
        # A subject access response (safeguarding/services/subject_access.py), kept on its request.
        RELEASE = "release", "Subject access response"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Being made"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"
        # The file was deleted when its retention ended (EXPORT_RETENTION_DAYS).
        EXPIRED = "expired", "Expired"

    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="exports")
    version = models.CharField(max_length=10, choices=Version.choices)
    # Who asked, by id with a snapshot of name and role: no foreign key to the public schema.
    requested_by_id = models.BigIntegerField()
    requested_by_name = models.CharField(max_length=200)
    requested_by_role = models.CharField(max_length=30)
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    entries_count = models.PositiveIntegerField(default=0)
    # The row_hash of the school's newest chronology entry when the export was requested (64
    # zeros for an empty chain), and that entry's id: the entries rendered are those up to it.
    chain_head = models.CharField(max_length=64)
    chain_head_entry_id = models.BigIntegerField(null=True, blank=True)
    # The chronology page's filters the export was asked with, as checked then: {"kind":
    # "phone_call", "category": 3, "since": "2026-03-01", "until": "2026-03-31"}, each only when
    # set. They narrow what the requester reads, never widen it (safeguarding/selectors/exports.py).
    filters = models.JSONField(default=dict, blank=True)
    file = models.FileField(
        storage=document_storage, upload_to=export_upload_to, max_length=255, blank=True
    )
    # SHA-256 of the PDF, shown beside the download so a recipient's copy can be checked.
    file_sha256 = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # The id of the task message whose run claimed the job: the same message run again (its
    # worker's child died) takes the job over at once. And how many runs claimed it.
    claimed_by = models.CharField(max_length=64, blank=True)
    runs = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Short and free of child data: the kind of failure, never a message built from the record.
    error = models.CharField(max_length=200, blank=True)
    # An encrypted package's password, sealed (encrypted with a key derived from SECRET_KEY) for
    # the worker only, and emptied by the run that encrypts the PDF: never held in clear
    # (docs/transfers.md, "Outside the trust").
    sealed_password = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["pupil", "-requested_at"], name="exportjob_pupil_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0, progress__lte=100),
                name="exportjob_progress_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    version__in=["full", "external", "package", "printable", "release"]
                ),
                name="exportjob_version_known",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "done", "failed", "expired"]),
                name="exportjob_status_known",
            ),
            # A finished export always has its file: "done" never points at nothing.
            models.CheckConstraint(
                condition=~models.Q(status="done") | ~models.Q(file=""),
                name="exportjob_done_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"export {self.pk}"  # never a name: str() ends up in logs

    @property
    def chronology_filters(self) -> dict[str, object]:
        """The stored filters as `chronology_entries` takes them: dates as dates."""
        stored = self.filters if isinstance(self.filters, dict) else {}
        filters: dict[str, object] = {}
        if stored.get("kind"):
            filters["kind"] = str(stored["kind"])
        if stored.get("category"):
            filters["category"] = int(stored["category"])
        for name in ("since", "until"):
            if stored.get(name):
                filters[name] = dt.date.fromisoformat(str(stored[name]))
        return filters

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
