"""Retention of a child's record: reviews when its period ends, legal holds, and lawful
destruction approved by a second person (docs/rules.md, "Retention")."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from safeguarding.models.concerns import Allegation
from safeguarding.models.pupils import Pupil

# Each row is about one record: a child's file or an allegation record, never both.
_ONE_RECORD = (models.Q(pupil__isnull=False) & models.Q(allegation__isnull=True)) | (
    models.Q(pupil__isnull=True) & models.Q(allegation__isnull=False)
)


class LegalHold(models.Model):
    """A hold on a pupil's record or an allegation record (an inquiry such as IICSA,
    litigation): while it stands, the record is neither proposed for destruction nor destroyed.
    Lifted with a reason, never removed."""

    pupil = models.ForeignKey(
        Pupil, null=True, blank=True, on_delete=models.PROTECT, related_name="legal_holds"
    )
    allegation = models.ForeignKey(
        Allegation, null=True, blank=True, on_delete=models.PROTECT, related_name="legal_holds"
    )
    reason = models.TextField()
    placed_at = models.DateTimeField(default=timezone.now)
    placed_by_id = models.BigIntegerField()
    placed_by_name = models.CharField(max_length=200)
    placed_by_role = models.CharField(max_length=30)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)
    lifted_by_id = models.BigIntegerField(null=True, blank=True)
    lifted_by_name = models.CharField(max_length=200, blank=True)
    lifted_by_role = models.CharField(max_length=30, blank=True)

    class Meta:
        constraints = [
            # One standing hold per record: a second would only say the same thing.
            models.UniqueConstraint(
                fields=["pupil"],
                condition=models.Q(lifted_at__isnull=True),
                name="legal_hold_one_standing",
            ),
            models.UniqueConstraint(
                fields=["allegation"],
                condition=models.Q(lifted_at__isnull=True),
                name="legal_hold_one_standing_allegation",
            ),
            models.CheckConstraint(condition=_ONE_RECORD, name="legal_hold_one_record"),
        ]

    def __str__(self) -> str:
        return f"legal hold {self.pk}"


class RetentionReview(models.Model):
    """A review of a record whose retention date has passed: kept for another period, with the
    reason and the date of the next review."""

    pupil = models.ForeignKey(
        Pupil, null=True, blank=True, on_delete=models.PROTECT, related_name="retention_reviews"
    )
    allegation = models.ForeignKey(
        Allegation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retention_reviews",
    )
    reviewed_at = models.DateTimeField(default=timezone.now)
    reviewed_by_id = models.BigIntegerField()
    reviewed_by_name = models.CharField(max_length=200)
    reviewed_by_role = models.CharField(max_length=30)
    reason = models.TextField()
    next_review_on = models.DateField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_ONE_RECORD, name="retention_review_one_record"),
        ]

    def __str__(self) -> str:
        return f"retention review {self.pk}"


class Destruction(models.Model):
    """A proposal to destroy a pupil's record or an allegation record, its approval by a
    different person, and once carried out the destruction certificate: what was destroyed
    (counts and record ids, never a name), when, who proposed and who approved.
    The certificate outlives the record."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved, being carried out"
        DESTROYED = "destroyed", "Destroyed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # Plain ids, not foreign keys: the certificate names the record it was about by number.
    pupil_id = models.BigIntegerField(null=True, blank=True)
    # The allegation's own id (not its concern's).
    allegation_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    reason = models.TextField()
    proposed_at = models.DateTimeField(default=timezone.now)
    proposed_by_id = models.BigIntegerField()
    proposed_by_name = models.CharField(max_length=200)
    proposed_by_role = models.CharField(max_length=30)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by_id = models.BigIntegerField(null=True, blank=True)
    approved_by_name = models.CharField(max_length=200, blank=True)
    approved_by_role = models.CharField(max_length=30, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)
    # {"chronology_entries": 12, "concerns": 2, ...}
    counts = models.JSONField(default=dict, blank=True)
    # {"chronology_entries": [ids], "concerns": [ids], ...}: the tombstones verify_chronology
    # accepts are the chronology entries named here.
    record_ids = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pupil_id"],
                # Two comparisons, not IN: PostgreSQL prints an IN list back in a form that
                # reads differently once copied into a new school (tenants/schema_clone.py).
                condition=models.Q(status="proposed") | models.Q(status="approved"),
                name="destruction_one_open_per_pupil",
            ),
            models.UniqueConstraint(
                fields=["allegation_id"],
                condition=models.Q(status="proposed") | models.Q(status="approved"),
                name="destruction_one_open_per_allegation",
            ),
            models.CheckConstraint(
                condition=(models.Q(pupil_id__isnull=False) & models.Q(allegation_id__isnull=True))
                | (models.Q(pupil_id__isnull=True) & models.Q(allegation_id__isnull=False)),
                name="destruction_one_record",
            ),
            # Two people: the database refuses an approval by the proposer too.
            models.CheckConstraint(
                condition=models.Q(approved_by_id__isnull=True)
                | ~models.Q(approved_by_id=models.F("proposed_by_id")),
                name="destruction_approved_by_another",
            ),
        ]

    def __str__(self) -> str:
        return f"destruction {self.pk}"

    @classmethod
    def chronology_entry_ids(cls) -> dict[int, int]:
        """Every chronology entry destroyed in this school: entry id -> certificate id."""
        ids: dict[int, int] = {}
        for pk, record_ids in cls.objects.filter(status=cls.Status.DESTROYED).values_list(
            "pk", "record_ids"
        ):
            for entry_id in (record_ids or {}).get("chronology_entries", []):
                ids[int(entry_id)] = pk
        return ids
