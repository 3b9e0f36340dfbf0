"""PDF exports of a pupil's chronology: what one holds, and who may fetch it."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from safeguarding.models import ChronologyEntry, Concern, ExportJob, Pupil
from safeguarding.permissions import Reader
from safeguarding.selectors.chronology import chronology_entries


def export_entries(reader: Reader, job: ExportJob) -> QuerySet[ChronologyEntry]:
    """The entries an export holds: the pupil's chronology as `chronology_entries` reads it, cut
    at the job's chain head; superseded entries are marked, and left out of the external version.

    "Superseded" is judged at the chain head too: a correction added after the export was asked
    for is not in it, so the entry it replaces is still current there.
    """
    entries = chronology_entries(reader, job.pupil, {})
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
    return entries


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
