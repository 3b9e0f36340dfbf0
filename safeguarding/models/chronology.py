"""Each pupil's chronology: the case file, in the order things happened."""

from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from safeguarding.models.concerns import Action, Concern, Source
from safeguarding.models.pupils import Pupil
from safeguarding.models.retention import Destruction
from trustplatform.hashchain import HashChainedModel


class MinuteUTC(models.Func):
    """The minute of a time, in UTC, as a timestamp without time zone: immutable, so it can be
    indexed (date_trunc of a timestamptz depends on the session's time zone). London's offsets
    are whole hours, so its minutes are the same."""

    template = "DATE_TRUNC('minute', (%(expressions)s) AT TIME ZONE 'UTC')"
    output_field: ClassVar[models.Field] = models.DateTimeField()


class ChronologyEntry(HashChainedModel):
    """One event in a child's chronology. Append-only: the database refuses UPDATE and DELETE,
    a correction is a new entry that `supersedes` the old one, and the school's entries form one
    hash chain that `manage.py verify_chronology` walks."""

    class Kind(models.TextChoices):
        CONCERN = "concern", "Concern"
        SCREENING = "screening", "Screening"
        ACTION = "action", "Action"
        ACTION_COMPLETED = "action_completed", "Action completed"
        STATUS_CHANGE = "status_change", "Status change"
        PHONE_CALL = "phone_call", "Telephone call"
        MEETING = "meeting", "Meeting"
        DOCUMENT = "document", "Document"
        DISCLOSURE = "disclosure", "Information shared"
        NOTE = "note", "Note"
        FLAG_CHANGE = "flag_change", "Flag changed"
        CHILD_INFORMED = "child_informed", "Child informed"

    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="chronology")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    backdate_reason = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.DIRECT)
    author_id = models.BigIntegerField()
    author_name = models.CharField(max_length=200)
    author_role = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # Structured facts of the kind: a call's agency and person, a meeting's participants, ...
    details = models.JSONField(default=dict, blank=True)
    # Copied from the concern, so filters and key-holder grants need no join.
    category_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    concern = models.ForeignKey(
        Concern, null=True, blank=True, on_delete=models.PROTECT, related_name="chronology"
    )
    action = models.ForeignKey(
        Action, null=True, blank=True, on_delete=models.PROTECT, related_name="chronology"
    )
    document_id = models.BigIntegerField(null=True, blank=True)
    disclosure_id = models.BigIntegerField(null=True, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    correction_reason = models.TextField(blank=True)

    hashed_fields = (
        "pupil_id",
        "kind",
        "occurred_at",
        "recorded_at",
        "backdate_reason",
        "source",
        "author_id",
        "author_name",
        "author_role",
        "title",
        "body",
        "details",
        "category_ids",
        "concern_id",
        "action_id",
        "document_id",
        "disclosure_id",
        "supersedes_id",
        "correction_reason",
    )

    class Meta(HashChainedModel.Meta):
        verbose_name_plural = "chronology entries"
        indexes = [
            models.Index(fields=["pupil", "occurred_at", "id"], name="chronology_pupil_order"),
            # The chronology's order, by the minute then the chain (selectors/chronology.py).
            models.Index(
                "pupil",
                MinuteUTC("occurred_at"),
                "id",
                name="chronology_pupil_minute_order",
            ),
        ]

    def __str__(self) -> str:
        return f"chronology entry {self.pk}"

    @classmethod
    def chain_tombstones(cls) -> Collection[int]:
        """Entries lawfully destroyed at the end of their retention: those a destruction
        certificate names (docs/rules.md, "Retention")."""
        return frozenset(Destruction.chronology_entry_ids())
