"""The school's access log: every view, opened search result, export and print of a record."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from trustplatform.hashchain import HashChainedModel


class AccessAction(models.TextChoices):
    VIEWED_RECORD = "viewed_record", "Viewed a record"
    OPENED_SEARCH_RESULT = "opened_search_result", "Opened a search result"
    EXPORTED = "exported", "Exported"
    PRINTED = "printed", "Printed"


class AccessLogEntry(HashChainedModel):
    """Who saw a child's record, when, and how (docs/rules.md, "The access log").

    The DSL reads it; no one edits it. Append-only (the database refuses UPDATE, DELETE,
    TRUNCATE) and hash-chained per school.
    """

    occurred_at = models.DateTimeField(default=timezone.now, editable=False)
    # The user by id with a snapshot of their name and role at the time: no foreign key to the
    # public schema, and the entry stays attributed after the person leaves
    # (docs/rules.md, "People kept by id and name").
    user_id = models.BigIntegerField()
    user_name = models.CharField(max_length=200)
    user_role = models.CharField(max_length=30)
    action = models.CharField(max_length=30, choices=AccessAction.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    # A plain id, not a foreign key: an append-only row must never block removing a pupil's
    # record at the end of its retention period.
    pupil_id = models.BigIntegerField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    hashed_fields = (
        "occurred_at",
        "user_id",
        "user_name",
        "user_role",
        "action",
        "object_type",
        "object_id",
        "pupil_id",
        "ip_address",
    )

    class Meta(HashChainedModel.Meta):
        verbose_name_plural = "access log entries"
        indexes = [
            models.Index(fields=["-occurred_at"], name="accesslog_recent"),
            models.Index(fields=["pupil_id", "-occurred_at"], name="accesslog_pupil_recent"),
            models.Index(fields=["user_id", "-occurred_at"], name="accesslog_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id} by {self.user_id}"
