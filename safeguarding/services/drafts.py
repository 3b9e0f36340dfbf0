"""Drafts of long forms: saved while their author types, deleted when the form is sent or after
DRAFT_KEEP_DAYS (docs/security.md, "Drafts")."""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from safeguarding.models import Draft

# A long concern is a few thousand characters; 100 KB is far beyond any form typed by hand.
DRAFT_MAX_BYTES = 100_000
# Drafts one person may hold at once in a school: a draft per open form, with room to spare.
DRAFTS_PER_AUTHOR = 30
TOO_LONG = (
    "This draft is too long to keep (over 100 KB). Your text is still on the page: send the "
    "form, or copy the text somewhere safe."
)
# Kept long enough to come back after a weekend; never kept as a record.
DRAFT_KEEP_DAYS = 7

# The fields each form's draft keeps; anything else posted is not stored. Files never are, nor
# the body map's marks: drawn by the page's own script, they are placed again after a restore.
DRAFT_FIELDS: dict[str, frozenset[str]] = {
    Draft.Form.CONCERN: frozenset(
        {
            "pupils",
            "categories",
            "occurred_at",
            "backdate_reason",
            "location",
            "account",
            "action_taken",
            "told_dsl_in_person",
            "notify",
            "adult_user",
            "adult_name",
            "adult_role",
            "source",
            "original_author_name",
            "original_written_at",
        }
    ),
    Draft.Form.SCREENING: frozenset({"level", "rationale", "next_steps"}),
    Draft.Form.ACTION: frozenset(
        {"kind", "description", "decision_rationale", "assignee", "due_on"}
    ),
    Draft.Form.CONTACT: frozenset(
        {"kind", "occurred_at", "agency", "person", "participants", "summary"}
    ),
}


def _fields_bounded(form: Draft.Form, fields: object) -> dict[str, list[str]]:
    if not isinstance(fields, dict):
        raise ValidationError("The draft could not be read.")
    kept: dict[str, list[str]] = {}
    for name, value in fields.items():
        if name not in DRAFT_FIELDS[form]:
            continue
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str) for item in values):
            raise ValidationError("The draft could not be read.")
        kept[name] = values
    if len(json.dumps(kept).encode()) > DRAFT_MAX_BYTES:
        raise ValidationError(TOO_LONG)
    return kept


@transaction.atomic
def draft_save(*, author_id: int, form: Draft.Form, record_id: int, fields: object) -> Draft | None:
    """Keeps what the author has typed so far; a form left empty keeps no draft."""
    kept = _fields_bounded(form, fields)
    if not any(item.strip() for values in kept.values() for item in values):
        draft_discard(author_id=author_id, form=form, record_id=record_id)
        return None
    existing = Draft.objects.filter(author_id=author_id, form=form, record_id=record_id)
    if (
        not existing.exists()
        and Draft.objects.filter(author_id=author_id).count() >= DRAFTS_PER_AUTHOR
    ):
        raise ValidationError(
            "You have too many unsent drafts. Send or discard some of them first."
        )
    draft, _ = Draft.objects.update_or_create(
        author_id=author_id,
        form=form,
        record_id=record_id,
        defaults={"fields": kept, "saved_at": timezone.now()},
    )
    return draft


def draft_discard(*, author_id: int, form: Draft.Form, record_id: int) -> int:
    """Deletes the author's draft of the form, if any: discarded, or the form was sent."""
    # One DELETE, on every concern recorded: QuerySet.delete() would SELECT the rows first, as
    # django-axes listens for every model's post_delete (for its own rows; a draft has no
    # receivers, relations or files).
    drafts = Draft.objects.filter(author_id=author_id, form=form, record_id=record_id)
    return int(drafts._raw_delete(drafts.db))


def drafts_expire(*, now: dt.datetime | None = None) -> int:
    """Deletes drafts saved more than DRAFT_KEEP_DAYS ago; returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=DRAFT_KEEP_DAYS)
    deleted, _ = Draft.objects.filter(saved_at__lt=cutoff).delete()
    return deleted
