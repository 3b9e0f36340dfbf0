"""What each MIS sync did, and the history of the fields the MIS owns."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from safeguarding.models.pupils import Pupil


class PupilSyncRun(models.Model):
    """One import of the MIS's pupils, from a CSV file or through the API: who ran it, when, and
    what it did to how many rows.

    Rejected rows are kept as their row number and reasons only: the report says which rows
    of the export to correct, and keeps no copy of the children's details. Written once, whole,
    when the run is applied: append-only in the database (docs/rules.md, "Append-only records").
    """

    class Source(models.TextChoices):
        CSV = "csv", "CSV file"
        API = "api", "API"

    source = models.CharField(max_length=3, choices=Source.choices)
    started_at = models.DateTimeField(default=timezone.now, editable=False)
    # Who ran it, by id with a snapshot of the name as every person in a school's records; for
    # the API, the key's holder and the key's id (never its secret).
    actor_id = models.BigIntegerField()
    actor_name = models.CharField(max_length=200, blank=True)
    api_key_id = models.BigIntegerField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    leavers = models.PositiveIntegerField(default=0)
    # [[row number, [reason, ...]], ...]: rows as the file numbers them, or the request's index.
    rejections = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"pupil sync {self.pk}"


class PupilHistory(models.Model):
    """One change of a field the MIS owns (SEN, free school meals, year group, leaving date and
    the like): kept here, not in the chronology, which is for safeguarding events. Append-only in
    the database; the lawful destruction of the child's record removes it (docs/rules.md,
    "Retention")."""

    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="history")
    field = models.CharField(max_length=40)
    # The values as text: "yes"/"no" for flags, ISO dates, year group numbers, "" for none.
    old = models.CharField(max_length=100, blank=True)
    new = models.CharField(max_length=100, blank=True)
    changed_at = models.DateTimeField(default=timezone.now, editable=False)
    # The sync that made the change; None for a change typed in on the pupil's form.
    sync_run = models.ForeignKey(
        PupilSyncRun, on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )
    changed_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["pupil", "-changed_at"], name="pupil_history_recent")]

    def __str__(self) -> str:
        return f"pupil {self.pupil_id} {self.field}"
