"""Appending to a pupil's chronology, and correcting an entry by superseding it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from safeguarding.models import Action, ChronologyEntry, Concern, Pupil, Source
from safeguarding.models.concerns import BACKDATE_GRACE, CLOCK_SKEW
from trustplatform.hashchain import chain_append, chain_append_many
from trustplatform.prepared import Prepared


@dataclass(frozen=True)
class Person:
    """Who did something, as the record keeps them: id, and name and role at the time."""

    user_id: int
    name: str
    role: str


TRANSFERRED_OUT = "This pupil's file has moved to another school: it is read-only here."


def pupil_refuse_if_transferred_out(pupil: Pupil) -> None:
    """Refuses a new record for a pupil whose file has moved to another school.

    The pupil's row is locked first: a transfer locks it too before it copies the file, so a
    record written at the same moment either lands before the copy (and travels with it) or waits
    and is refused (docs/transfers.md, "Read-only after the move").
    """
    pupils_refuse_if_transferred_out([pupil.pk])


def pupils_refuse_if_transferred_out(pupil_ids: Iterable[int]) -> None:
    """`pupil_refuse_if_transferred_out` for several pupils in one query: every row locked (in
    the order of their ids, as any other writer locking several takes them), none moved away."""
    ids = sorted(set(pupil_ids))
    if not ids:
        return
    moved = _LOCK_PUPILS.rows(ids=ids)
    if any(row["transferred_out_at"] is not None for row in moved):
        raise ValidationError(TRANSFERRED_OUT)


# Run before every record of a pupil is written: compiled once per process (per number of pupils).
_LOCK_PUPILS = Prepared(
    lambda ids: (
        Pupil.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values("transferred_out_at")
    ),
    Pupil,
    writing=True,
)


def chronology_entry_fields(
    *,
    pupil: Pupil,
    kind: ChronologyEntry.Kind,
    author: Person,
    title: str,
    body: str = "",
    occurred_at: dt.datetime | None = None,
    backdate_reason: str = "",
    source: Source = Source.DIRECT,
    details: dict[str, Any] | None = None,
    category_ids: Iterable[int] = (),
    concern: Concern | None = None,
    action: Action | None = None,
    document_id: int | None = None,
    disclosure_id: int | None = None,
    supersedes: ChronologyEntry | None = None,
    correction_reason: str = "",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """An entry's fields, for `chronology_append_many`."""
    now = now or timezone.now()
    return {
        "pupil": pupil,
        "kind": kind,
        "occurred_at": occurred_at or now,
        "recorded_at": now,
        "backdate_reason": backdate_reason,
        "source": source,
        "author_id": author.user_id,
        "author_name": author.name,
        "author_role": author.role,
        "title": title[:200],
        "body": body,
        "details": details or {},
        "category_ids": sorted(set(category_ids)),
        "concern": concern,
        "action": action,
        "document_id": document_id,
        "disclosure_id": disclosure_id,
        "supersedes": supersedes,
        "correction_reason": correction_reason,
    }


def chronology_append(
    *,
    pupil: Pupil,
    kind: ChronologyEntry.Kind,
    author: Person,
    title: str,
    body: str = "",
    occurred_at: dt.datetime | None = None,
    backdate_reason: str = "",
    source: Source = Source.DIRECT,
    details: dict[str, Any] | None = None,
    category_ids: Iterable[int] = (),
    concern: Concern | None = None,
    action: Action | None = None,
    document_id: int | None = None,
    disclosure_id: int | None = None,
    supersedes: ChronologyEntry | None = None,
    correction_reason: str = "",
) -> ChronologyEntry:
    """Adds an entry at the end of the school's chain. Call it late in the transaction: the chain
    lock is held until commit. Every record of a pupil ends here or in `chronology_append_many`,
    so this is where a pupil whose file has moved away is refused."""
    pupil_refuse_if_transferred_out(pupil)
    return chain_append(
        ChronologyEntry,
        **chronology_entry_fields(
            pupil=pupil,
            kind=kind,
            author=author,
            title=title,
            body=body,
            occurred_at=occurred_at,
            backdate_reason=backdate_reason,
            source=source,
            details=details,
            category_ids=category_ids,
            concern=concern,
            action=action,
            document_id=document_id,
            disclosure_id=disclosure_id,
            supersedes=supersedes,
            correction_reason=correction_reason,
        ),
    )


def chronology_append_many(entries: Sequence[dict[str, Any]]) -> list[ChronologyEntry]:
    """Adds entries (each made by `chronology_entry_fields`) at the end of the school's chain, in
    order, with one lock and one INSERT. Call it late in the transaction: the lock is held until
    commit."""
    pupils_refuse_if_transferred_out(entry["pupil"].pk for entry in entries)
    return chain_append_many(ChronologyEntry, entries)


@transaction.atomic
def chronology_correct(
    *, entry: ChronologyEntry, author: Person, body: str, reason: str, title: str | None = None
) -> ChronologyEntry:
    """A correction: a new version that supersedes `entry`. Both stay; the DSL sees both."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the entry is being corrected."})
    if ChronologyEntry.objects.filter(supersedes=entry).exists():
        raise ValidationError("This entry has already been corrected; correct the newer version.")
    return chronology_append(
        pupil=entry.pupil,
        kind=ChronologyEntry.Kind(entry.kind),
        author=author,
        title=title or entry.title,
        body=body,
        occurred_at=entry.occurred_at,
        backdate_reason=entry.backdate_reason,
        source=Source(entry.source),
        details=entry.details,
        category_ids=entry.category_ids,
        concern=entry.concern,
        action=entry.action,
        document_id=entry.document_id,
        disclosure_id=entry.disclosure_id,
        supersedes=entry,
        correction_reason=reason.strip(),
    )


def occurred_at_errors(
    *, occurred_at: dt.datetime, backdate_reason: str, now: dt.datetime, reason_needed: bool = True
) -> dict[str, str]:
    """A time in the future is refused; one earlier than the grace needs the reason it is
    recorded late (docs/rules.md, "Occurred and recorded times")."""
    if occurred_at > now + CLOCK_SKEW:
        return {"occurred_at": "The time cannot be in the future."}
    if reason_needed and occurred_at < now - BACKDATE_GRACE and not backdate_reason.strip():
        return {"backdate_reason": "This happened earlier than now: say why it is recorded later."}
    return {}


@transaction.atomic
def note_record(
    *,
    pupil: Pupil,
    author: Person,
    occurred_at: dt.datetime,
    body: str,
    title: str = "",
    backdate_reason: str = "",
) -> ChronologyEntry:
    """A general note on the chronology: something the DSL knows that is no concern, call or
    meeting (a conversation in passing, a record read elsewhere)."""
    errors = occurred_at_errors(
        occurred_at=occurred_at, backdate_reason=backdate_reason, now=timezone.now()
    )
    if not body.strip():
        errors["body"] = "Write the note."
    if errors:
        raise ValidationError(errors)
    return chronology_append(
        pupil=pupil,
        kind=ChronologyEntry.Kind.NOTE,
        author=author,
        title=title.strip() or "Note",
        body=body.strip(),
        occurred_at=occurred_at,
        backdate_reason=backdate_reason.strip(),
    )


@transaction.atomic
def child_informed_record(
    *,
    pupil: Pupil,
    author: Person,
    occurred_at: dt.datetime,
    told_by: str,
    how: str,
    child_views: str = "",
    backdate_reason: str = "",
) -> ChronologyEntry:
    """That the child was told (of a referral, a plan, a decision about them), who told them and
    how, and what they said: the child's voice on their own record."""
    errors = occurred_at_errors(
        occurred_at=occurred_at, backdate_reason=backdate_reason, now=timezone.now()
    )
    if not told_by.strip():
        errors["told_by"] = "Say who told the child."
    if not how.strip():
        errors["how"] = "Say what the child was told and how."
    if errors:
        raise ValidationError(errors)
    return chronology_append(
        pupil=pupil,
        kind=ChronologyEntry.Kind.CHILD_INFORMED,
        author=author,
        title=f"Child informed by {told_by.strip()}",
        body=how.strip(),
        occurred_at=occurred_at,
        backdate_reason=backdate_reason.strip(),
        details={"told_by": told_by.strip(), "child_views": child_views.strip()},
    )
