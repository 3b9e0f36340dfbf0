"""Drafts of long forms: saved while their author types, deleted when the form is sent or after
DRAFT_KEEP_DAYS (docs/security.md, "Drafts")."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from safeguarding.body_map import marks_posted
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

# The fields each form's draft keeps; anything else posted is not stored. Files never are. The
# body map's marks are kept apart (Draft.marks), read from the columns the form posts them in.
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


# A concern's marks as its form posts them: one of each per mark, in order.
MARK_COLUMNS = ("mark_view", "mark_x", "mark_y", "mark_note")
# Above the number a concern may hold, so that the concern's own limit is the one people are told.
DRAFT_MAX_MARKS = 60


def _strings(value: object) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in values):
        raise ValidationError("The draft could not be read.")
    return values


def _fields_bounded(form: Draft.Form, fields: object) -> dict[str, list[str]]:
    if not isinstance(fields, dict):
        raise ValidationError("The draft could not be read.")
    return {name: _strings(value) for name, value in fields.items() if name in DRAFT_FIELDS[form]}


def _marks_bounded(form: Draft.Form, fields: object) -> list[dict[str, Any]]:
    """The body-map marks posted with a concern's draft, each with the region it lies in."""
    if form is not Draft.Form.CONCERN or not isinstance(fields, dict):
        return []
    columns = [_strings(fields.get(name, [])) for name in MARK_COLUMNS]
    if len({len(column) for column in columns}) > 1 or len(columns[0]) > DRAFT_MAX_MARKS:
        raise ValidationError("The draft could not be read.")
    posted = [
        {"view": view, "x": x, "y": y, "note": note}
        for view, x, y, note in zip(*columns, strict=True)
    ]
    return [
        {
            "view": mark.view,
            "x": mark.x,
            "y": mark.y,
            "region": mark.region.code if mark.region else "",
            "note": mark.note,
        }
        for mark in marks_posted(posted)
    ]


@transaction.atomic
def draft_save(*, author_id: int, form: Draft.Form, record_id: int, fields: object) -> Draft | None:
    """Keeps what the author has typed so far, and a concern's body-map marks; a form left empty
    keeps no draft."""
    kept = _fields_bounded(form, fields)
    marks = _marks_bounded(form, fields)
    if len(json.dumps([kept, marks]).encode()) > DRAFT_MAX_BYTES:
        raise ValidationError(TOO_LONG)
    if not marks and not any(item.strip() for values in kept.values() for item in values):
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
        defaults={"fields": kept, "marks": marks, "saved_at": timezone.now()},
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
