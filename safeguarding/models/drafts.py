"""Unsent drafts of long forms, kept so that nothing a person types is lost to a timeout."""

from __future__ import annotations

from django.db import models


class Draft(models.Model):
    """What one person had typed into one form, not yet sent (docs/security.md, "Drafts").

    Not a record: never in a chronology, an export or a search, read only by its author, deleted
    when the form is sent or after DRAFT_KEEP_DAYS. The author by id only: no foreign key to the
    public schema (docs/rules.md, "People kept by id and name").
    """

    class Form(models.TextChoices):
        CONCERN = "concern", "Record a concern"
        SCREENING = "screening", "Screening a concern"
        ACTION = "action", "An action on a case"
        CONTACT = "contact", "A telephone call or meeting"

    author_id = models.BigIntegerField()
    form = models.CharField(max_length=20, choices=Form.choices)
    # The concern (screening, action) or pupil (call or meeting) the form belongs to; 0 for a
    # new concern. A plain id: a draft never blocks anything from changing.
    record_id = models.BigIntegerField(default=0)
    fields = models.JSONField(default=dict)
    # A concern's body-map marks, as the concern keeps them: {"view", "x", "y", "region", "note"},
    # the region found from the outline when saved ("" for a mark off it, kept so it can be
    # removed rather than its note lost).
    marks = models.JSONField(default=list)
    saved_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["author_id", "form", "record_id"], name="draft_one_per_author_form_record"
            )
        ]
        indexes = [models.Index(fields=["saved_at"], name="draft_saved_at")]

    def __str__(self) -> str:
        return f"Draft {self.form} {self.record_id} of user {self.author_id}"
