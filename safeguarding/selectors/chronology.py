"""A pupil's chronology as a reader may see it (docs/rules.md, "Who reads which records")."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest

from safeguarding.models import ChronologyEntry, Pupil
from safeguarding.permissions import Reader
from safeguarding.selectors.concerns import concerns_visible
from safeguarding.selectors.pupils import pupil_get_for_reader
from trustplatform.schooldays.calendar import LONDON


def chronology_visible(reader: Reader, pupil: Pupil) -> QuerySet[ChronologyEntry]:
    return chronology_visible_school_wide(reader).filter(pupil=pupil)


def chronology_visible_school_wide(reader: Reader) -> QuerySet[ChronologyEntry]:
    """Every entry of the school's chronology this reader may see, whichever the pupil."""
    entries = ChronologyEntry.objects.all()
    if reader.reads_everything:
        return entries.filter(Q(concern__isnull=True) | Q(concern__in=concerns_visible(reader)))
    # A key holder sees an entry only when all its categories are granted (an entry with none,
    # such as a call or a disclosure outside any concern, is not theirs), and, when it belongs
    # to a concern, only when that whole concern is theirs to see.
    return entries.filter(
        Q(concern__isnull=True) | Q(concern__in=concerns_visible(reader)),
        category_ids__contained_by=sorted(reader.category_ids),
    ).exclude(category_ids=[])


def chronology_entries(
    reader: Reader, pupil: Pupil, filters: dict[str, object]
) -> QuerySet[ChronologyEntry]:
    """The entries this reader may see, oldest first, each marked when a correction replaced it.

    One query whatever the number of entries: everything shown is on the entry row itself. The
    chronology page and its PDF export both read through here: an export holds what the page
    shows.
    """
    entries = chronology_visible(reader, pupil).annotate(
        is_superseded=Exists(ChronologyEntry.objects.filter(supersedes=OuterRef("pk")))
    )
    if not reader.reads_everything:
        # Earlier versions are for those who read everything; others see the current text
        # (docs/rules.md, "Corrections").
        entries = entries.filter(is_superseded=False)
    if filters.get("category"):
        entries = entries.filter(category_ids__contains=[filters["category"]])
    if filters.get("kind"):
        entries = entries.filter(kind=filters["kind"])
    if isinstance(since := filters.get("since"), dt.date):
        entries = entries.filter(occurred_at__gte=dt.datetime.combine(since, dt.time(0), LONDON))
    if isinstance(until := filters.get("until"), dt.date):
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), LONDON)
        entries = entries.filter(occurred_at__lt=end)
    return entries.order_by("occurred_at", "id")


def chronology_entry_get_for_reader(
    *, reader: Reader | None, entry_id: int, request: HttpRequest | None = None
) -> ChronologyEntry:
    """The entry, when this reader may open its pupil's record (written to the access log); the
    same 404 for missing and not allowed."""
    entry = ChronologyEntry.objects.filter(pk=entry_id).select_related("pupil").first()
    if entry is None or reader is None:
        raise Http404
    pupil_get_for_reader(reader=reader, pupil_id=entry.pupil_id, request=request)
    return entry
