"""PDF exports of a pupil's chronology: what one holds, and who may fetch it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import TruncMinute
from django.http import Http404

from safeguarding.models import Category, ChronologyEntry, Concern, ExportJob, Pupil
from safeguarding.permissions import Reader
from safeguarding.selectors.chronology import chronology_entries


def export_entries(reader: Reader, job: ExportJob) -> QuerySet[ChronologyEntry]:
    """The entries an export holds: the pupil's chronology as `chronology_entries` reads it with
    the page's filters the job was asked with, cut at the job's chain head; superseded entries
    are marked, and left out of the external version.

    The filters go through `chronology_entries` after it has applied what the reader may see:
    they narrow the reader's chronology, never widen it.

    "Superseded" is judged at the chain head too: a correction added after the export was asked
    for is not in it, so the entry it replaces is still current there.

    Oldest first by the minute things happened (the PDF prints times to the minute), then in the
    order they were recorded (the chain): a call noted as "10:05" after a screening recorded at
    10:05:40 prints after it, and a correction follows the entry it corrects.
    """
    entries = chronology_entries(reader, job.pupil, job.chronology_filters)
    if job.chain_head_entry_id is None:
        return entries.none()
    entries = entries.filter(pk__lte=job.chain_head_entry_id).annotate(
        superseded_at_head=Exists(
            ChronologyEntry.objects.filter(
                supersedes=OuterRef("pk"), pk__lte=job.chain_head_entry_id
            )
        )
    )
    if job.version == ExportJob.Version.EXTERNAL:
        entries = entries.filter(superseded_at_head=False)
    # The action of an action's entries: its due date is printed beside them.
    return entries.select_related("action").order_by(TruncMinute("occurred_at"), "pk")


def _day(day: object) -> str:
    return f"{day:%-d %b %Y}" if isinstance(day, dt.date) else ""


def export_filters_shown(job: ExportJob) -> list[tuple[str, str]]:
    """The export's filters as its pages and its PDF name them, in the chronology page's words:
    [("Kind", "Telephone call"), ("Category", "Neglect"), ("From", "1 Mar 2026"), ...]."""
    filters = job.chronology_filters
    shown: list[tuple[str, str]] = []
    if kind := filters.get("kind"):
        shown.append(("Kind", ChronologyEntry.Kind(str(kind)).label))
    if isinstance(category := filters.get("category"), int):
        name = Category.objects.filter(pk=category).values_list("name", flat=True).first()
        shown.append(("Category", name or "a category since removed"))
    if since := filters.get("since"):
        shown.append(("From", _day(since)))
    if until := filters.get("until"):
        shown.append(("To", _day(until)))
    return shown


def concern_body_maps(entries: QuerySet[ChronologyEntry]) -> dict[int, Any]:
    """The body maps of the concerns these entries record, by concern id: one query, and only
    concerns the entries (already chosen for the reader) hold."""
    recorded = entries.filter(kind=ChronologyEntry.Kind.CONCERN).values("concern_id")
    return dict(
        Concern.objects.filter(pk__in=recorded).exclude(body_map=[]).values_list("pk", "body_map")
    )


def exports_of_pupil(pupil: Pupil) -> QuerySet[ExportJob]:
    """A pupil's exports. The caller has checked the reader (those who read every record)."""
    return ExportJob.objects.filter(pupil=pupil)


def export_get_for_reader(*, reader: Reader | None, job_id: int) -> ExportJob:
    """The export, to the person who asked for it while they may still read the pupil's record;
    the same 404 for missing and not theirs.

    Only its requester: the file is stamped with their name, and a copy handed to someone else
    would carry the wrong one. Anyone else allowed can ask for their own.
    """
    if reader is None or not reader.reads_everything:
        raise Http404
    job = ExportJob.objects.select_related("pupil").filter(pk=job_id).first()
    if job is None or job.requested_by_id != reader.user_id:
        raise Http404
    return job
