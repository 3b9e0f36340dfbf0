"""Documents on a pupil's record: the file in private storage, its facts in the school's schema."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from safeguarding.models.concerns import Concern
from safeguarding.models.pupils import Pupil
from safeguarding.storage import document_storage, document_upload_to


class Document(models.Model):
    """An uploaded file (a letter, a report, a photo of a paper form) and what we know of it.

    Never changed or removed once stored (the database refuses UPDATE, DELETE and TRUNCATE): a
    document issued to an agency must still be the same bytes when a court asks. The sha256 is
    also copied into the hash-chained chronology entry of the upload.
    """

    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="documents")
    concern = models.ForeignKey(
        Concern, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    file = models.FileField(storage=document_storage, upload_to=document_upload_to, max_length=255)
    original_name = models.CharField(max_length=255)
    # Detected from the file's content, never taken from the browser's claim.
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    overview = models.CharField("brief description", max_length=500)
    # True when clamd checked the file and found nothing; False when no scanner is configured.
    scanned = models.BooleanField(default=False)
    # The uploader by id with a snapshot of their name and role: no foreign key to the public
    # schema, and the upload stays attributed after they leave
    # (docs/rules.md, "People kept by id and name").
    uploaded_by_id = models.BigIntegerField()
    uploaded_by_name = models.CharField(max_length=200)
    uploaded_by_role = models.CharField(max_length=30)
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["pupil", "-uploaded_at"], name="document_pupil_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"), name="document_sha256_hex"
            ),
            models.CheckConstraint(condition=models.Q(size__gt=0), name="document_not_empty"),
            models.CheckConstraint(
                condition=~models.Q(overview=""), name="document_overview_required"
            ),
        ]

    def __str__(self) -> str:
        return f"document {self.pk}"  # never the file's name: str() ends up in logs
