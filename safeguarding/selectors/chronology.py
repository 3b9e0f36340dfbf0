"""A pupil's chronology as a reader may see it (docs/rules.md, "Who reads which records")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.http import Http404, HttpRequest

from safeguarding.models import ChronologyEntry, Pupil
from safeguarding.models.chronology import MinuteUTC
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


# The order of a chronology (docs/rules.md, "The order of a chronology"): the minute things
# happened, then the order the entries joined the school's chain (their id: chain_append inserts
# under the chain's lock). Times are entered to the minute, while entries a service writes (a
# screening, a status change) carry seconds: by the minute, two entries shown at the same time
# read in the order they were recorded, never swapped by a second nobody can see. The index
# `chronology_pupil_minute_order` serves it (UTC: London's offsets are whole hours, so the
# minutes are the same).
ORDER = ("minute", "id")


@dataclass(frozen=True)
class Cursor:
    """Where a run of older entries starts: just before this entry in the chronology's order."""

    minute: dt.datetime
    entry_id: int

    def __str__(self) -> str:
        return f"{int(self.minute.timestamp()) // 60}.{self.entry_id}"

    @classmethod
    def parse(cls, text: str) -> Cursor | None:
        """The cursor of a "Load older entries" link; None for anything else."""
        minute, _, entry_id = text.partition(".")
        if not (minute.isdigit() and entry_id.isdigit()) or len(text) > 40:
            return None
        try:
            when = dt.datetime.fromtimestamp(int(minute) * 60, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return cls(minute=when, entry_id=int(entry_id))


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
    return entries.annotate(minute=MinuteUTC("occurred_at")).order_by(*ORDER)


def chronology_run(
    reader: Reader,
    pupil: Pupil,
    filters: dict[str, object],
    *,
    size: int,
    before: Cursor | None = None,
) -> tuple[list[ChronologyEntry], Cursor | None]:
    """The latest `size` entries (those just before `before`, when given) in the chronology's
    order, and the cursor of the entries older still (None when there are none).

    Keyset, not OFFSET: the index is entered at the cursor, so the 10,000th entry costs what the
    first does; one query, one row more than asked telling whether older entries exist.
    """
    entries = chronology_entries(reader, pupil, filters)
    if before is not None:
        # The cursor's minute through the same function, so both sides are of the indexed type.
        minute = MinuteUTC(Value(before.minute))
        entries = entries.filter(Q(minute__lt=minute) | Q(minute=minute, id__lt=before.entry_id))
    latest_first = list(entries.order_by(F("minute").desc(), F("id").desc())[: size + 1])
    run = latest_first[:size][::-1]
    older = None
    if len(latest_first) > size:
        first = run[0].occurred_at.astimezone(dt.UTC).replace(second=0, microsecond=0)
        older = Cursor(minute=first, entry_id=run[0].pk)
    return run, older


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
