"""PDF exports of a pupil's chronology: requesting one, and rendering it in a Celery worker.

docs/rules.md, "Exports": an export carries the hash it was made from, and every export is
written to the school's access log. The hash is the chain head: the row_hash of the school's
newest chronology entry when the export is requested. Only entries up to that head are rendered,
so an export rendered a minute later by a worker still shows exactly the chain it names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone

from safeguarding.export_pdf import (
    MEMBER_OF_STAFF,
    StaffNames,
    Stamp,
    chronology_pdf,
    filters_sentence,
    role_label,
)
from safeguarding.models import (
    AccessAction,
    Action,
    ChronologyEntry,
    Concern,
    ExportJob,
    FamilyLink,
    OutsideTransfer,
    Pupil,
)
from safeguarding.permissions import Reader
from safeguarding.selectors.categories import categories_visible
from safeguarding.selectors.exports import (
    concern_body_maps,
    export_entries,
    export_filters_shown,
)
from safeguarding.selectors.pupils import pupil_get_for_reader
from safeguarding.services import subject_access
from safeguarding.services.access import access_log_record
from safeguarding.services.export_queue import export_queue_on_commit, release_reopen
from safeguarding.transfer_package import file_appendix_pdf, package_join, password_unseal
from tenants.db import school_connection
from tenants.models import School
from tenants.replica import replica_reads
from trustplatform.accounts.models import Role, SchoolMembership
from trustplatform.hashchain import GENESIS_HASH
from trustplatform.permissions import Capability, role_allows

logger = logging.getLogger(__name__)

# The export task's hard time limit (safeguarding/tasks.py): a render still going after this has
# been stopped by Celery, so a job "running" for longer was lost with its worker.
EXPORT_TIME_LIMIT = timedelta(minutes=15)


def stale_running_after() -> timedelta:
    """How long a job's "running" claim lasts: a job claimed longer ago was lost with its worker,
    and the next run (Celery redelivers the message: acks_late) claims it again.

    The export's hard time limit, or the broker's visibility timeout when that is shorter (the
    fault tests'): a redelivered message always finds the claim lapsed.
    """
    return min(EXPORT_TIME_LIMIT, timedelta(seconds=settings.CELERY_VISIBILITY_TIMEOUT_SECONDS))


# Progress is written at most every this many percentage points: each write is a query.
PROGRESS_STEP = 5


class RequesterNoLongerAllowed(Exception):
    """The person who asked for an export lost the right to read every record before it ran."""


def _reader_of(job: ExportJob) -> Reader:
    # Exports are for those who read every record (Capability.VIEW_ALL_RECORDS, checked when asked):
    # the worker reads as that person did, without a request.
    return Reader(
        user_id=job.requested_by_id,
        name=job.requested_by_name,
        role=Role(job.requested_by_role),
        reads_everything=True,
    )


def _filters_checked(reader: Reader, filters: Mapping[str, object]) -> dict[str, object]:
    """The chronology page's filters as the job keeps them (JSON), each checked; only the
    page's own filters are kept, so nothing else can reach the query."""
    kept: dict[str, object] = {}
    kind = filters.get("kind")
    if kind:
        if kind not in ChronologyEntry.Kind.values:
            raise ValidationError({"kind": "Choose a kind of entry from the list."})
        kept["kind"] = str(kind)
    category = filters.get("category")
    if category:
        # Only a category the reader may filter by on the page.
        if not isinstance(category, int) or not categories_visible(reader).filter(pk=category):
            raise ValidationError({"category": "Choose a category from the list."})
        kept["category"] = category
    since, until = filters.get("since"), filters.get("until")
    for name, day in (("since", since), ("until", until)):
        if day:
            if not isinstance(day, dt.date):
                raise ValidationError({name: "Enter a real date, like 2025-09-01."})
            kept[name] = day.isoformat()
    if isinstance(since, dt.date) and isinstance(until, dt.date) and since > until:
        raise ValidationError({"until": "The start date is after the end date."})
    return kept


@transaction.atomic
def export_job_create(
    *,
    reader: Reader,
    pupil: Pupil,
    version: ExportJob.Version,
    filters: Mapping[str, object] | None = None,
    request: HttpRequest | None = None,
) -> ExportJob:
    """Writes the export to the access log and fixes what it will hold: a queued job.

    `filters` are the chronology page's (kind, category, since, until): the export holds the
    entries the filtered page shows, and says so on every page.
    """
    if version not in ExportJob.Version.values:
        raise ValidationError({"version": "Choose the full or the external version."})
    kept = _filters_checked(reader, filters or {})
    if not reader.reads_everything:
        # A key holder's chronology is partial; an export presented as "the chronology" must not
        # be. The views refuse them already (Capability.VIEW_ALL_RECORDS); this is a second check.
        raise ValidationError("Only those who read every record can export a chronology.")
    # Checks the pupil again and writes the export to the school's access log
    # (docs/rules.md, "The access log").
    pupil = pupil_get_for_reader(
        reader=reader, pupil_id=pupil.pk, request=request, action=AccessAction.EXPORTED
    )
    head = ChronologyEntry.objects.order_by("-pk").values_list("pk", "row_hash").first()
    job = ExportJob(
        pupil=pupil,
        version=version,
        requested_by_id=reader.user_id,
        requested_by_name=reader.name,
        requested_by_role=str(reader.role),
        chain_head=head[1] if head else GENESIS_HASH,
        chain_head_entry_id=head[0] if head else None,
        filters=kept,
    )
    job.entries_count = export_entries(reader, job).count()
    job.save()
    return job


def export_request(
    *,
    reader: Reader,
    pupil: Pupil,
    version: ExportJob.Version,
    filters: Mapping[str, object] | None = None,
    request: HttpRequest | None = None,
) -> ExportJob:
    """Asks for a PDF of the pupil's chronology, which a worker makes, however short.

    Never made in the request: WeasyPrint holds a web process for seconds even for a short
    chronology (about 3 for 200 entries on one core), and a few such requests at once would
    leave no web process for anyone else. The job's page shows its progress meanwhile.

    Deliberately not atomic as a whole: the access-log row is appended under the log's chain
    lock, held until commit, so the job is committed first and queued after.
    """
    job = export_job_create(
        reader=reader, pupil=pupil, version=version, filters=filters, request=request
    )
    # Sent for this school, whatever schema the connection is in when the commit comes.
    export_queue_on_commit(job)
    job.refresh_from_db()
    return job


# Runs that may claim one job: a PDF that kills its worker each time is failed after this many.
EXPORT_MAX_RUNS = 3


def _claim(job_id: int, run_id: str) -> bool:
    """Takes the job for this run; False when another run has it or it is finished.

    `run_id` is the task message's id: a message run again after its worker's child died
    (CELERY_TASK_REJECT_ON_WORKER_LOST) takes over its own claim at once, without waiting for it
    to lapse. No two runs of one message overlap: the broker hands a message out again only once
    its run is over (rejected, or the visibility timeout, longer than the export's time limit).
    """
    now = timezone.now()
    takeable = Q(status=ExportJob.Status.QUEUED) | Q(
        status=ExportJob.Status.RUNNING, started_at__lt=now - stale_running_after()
    )
    if run_id:
        takeable |= Q(status=ExportJob.Status.RUNNING, claimed_by=run_id)
    jobs = ExportJob.objects.filter(takeable, pk=job_id)
    if jobs.filter(runs__lt=EXPORT_MAX_RUNS).update(
        status=ExportJob.Status.RUNNING,
        started_at=now,
        progress=0,
        claimed_by=run_id,
        runs=F("runs") + 1,
    ):
        return True
    if jobs.update(
        status=ExportJob.Status.FAILED,
        sealed_password="",
        error="The PDF could not be made: it stopped the worker each time.",
        finished_at=now,
    ):
        release_reopen(job_id=job_id)  # a subject access response given up: its request reopens
    return False


def _other_children(pupil: Pupil) -> dict[int, list[str]]:
    """Every other child whose name the pupil's record may hold, with the spellings to replace:
    each pupil of the school (leavers too) by full name, legal and preferred; the children on
    the pupil's concerns and in the pupil's family by their first names on their own as well,
    being those most often written so ("Oscar had no coat")."""
    linked = {
        *Concern.pupils.through.objects.filter(concern__pupils=pupil).values_list(
            "pupil_id", flat=True
        ),
        *FamilyLink.objects.filter(pupil=pupil).values_list("relative_id", flat=True),
        *FamilyLink.objects.filter(relative=pupil).values_list("pupil_id", flat=True),
    }
    own_words = {
        word.casefold()
        for name in (
            pupil.legal_first_name,
            pupil.legal_last_name,
            pupil.first_name,
            pupil.last_name,
        )
        for word in name.split()
    }
    children: dict[int, list[str]] = {}
    others = Pupil.objects.exclude(pk=pupil.pk).values_list(
        "pk", "legal_first_name", "legal_last_name", "preferred_first_name", "preferred_last_name"
    )
    for pk, legal_first, legal_last, preferred_first, preferred_last in others.iterator():
        firsts = {legal_first, preferred_first or legal_first}
        lasts = {legal_last, preferred_last or legal_last}
        spellings = [f"{first} {last}" for first in firsts for last in lasts]
        if pk in linked:
            spellings += [first for first in firsts if first.casefold() not in own_words]
        children[pk] = spellings
    return children


def _staff_names(job: ExportJob, school: School) -> StaffNames:
    """Everyone whose name the pupil's record may hold as a member of staff, with their role, and
    every other child, to be named "Child B", "Child C", ...

    Today's staff with their current role first; then every author in the school's chronology
    (people who have left keep their last role there); then names written on this pupil's
    concerns and actions, whose role is not recorded.
    """
    roles: dict[str, str] = {}
    for name, role in SchoolMembership.objects.filter(school=school).values_list(
        "user__full_name", "role"
    ):
        roles.setdefault(name, role_label(role))
    # One row per name, with the role of their latest entry (DISTINCT ON keeps the first).
    authors = (
        ChronologyEntry.objects.order_by("author_name", "-pk")
        .distinct("author_name")
        .values_list("author_name", "author_role")
    )
    for name, role in authors:
        roles.setdefault(name, role_label(role))
    concerns = Concern.objects.filter(pupils=job.pupil)
    others = [
        *concerns.values_list("original_author_name", flat=True),
        *concerns.values_list("screened_by_name", flat=True),
        *Action.objects.filter(concern__in=concerns).values_list("assignee_name", flat=True),
        *Action.objects.filter(concern__in=concerns).values_list("created_by_name", flat=True),
    ]
    for name in others:
        if name:
            roles.setdefault(name, MEMBER_OF_STAFF)
    pupil = job.pupil
    keep = {
        pupil.display_name,
        f"{pupil.legal_first_name} {pupil.legal_last_name}",
        pupil.first_name,
        pupil.last_name,
        pupil.legal_first_name,
        pupil.legal_last_name,
    }
    return StaffNames(roles, keep=keep, children=_other_children(pupil))


def _progress_writer(job_id: int) -> Callable[[int], None]:
    last = [0]

    def write(percent: int) -> None:
        # Written in its own statement, outside any transaction: the progress page polls it.
        if percent - last[0] >= PROGRESS_STEP:
            last[0] = percent
            ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
                progress=percent
            )

    return write


def export_render(*, job_id: int, run_id: str = "") -> bool:
    """Makes the PDF of a queued job; safe to run twice: the job is claimed first (by `run_id`,
    the task message's id).

    Not atomic, on purpose: progress must be committed as it moves, for the page that polls it.
    Returns whether this run made the file.
    """
    if not _claim(job_id, run_id):
        return False
    job = ExportJob.objects.select_related("pupil").get(pk=job_id)
    school = School.objects.get(schema_name=school_connection.schema_name)
    stored = ""
    try:
        if not _still_allowed(job, school):
            raise RequesterNoLongerAllowed
        external = job.version == ExportJob.Version.EXTERNAL
        reader = _reader_of(job)
        generated_by = (
            f"the {role_label(job.requested_by_role)} (user {job.requested_by_id})"
            if external
            else f"{job.requested_by_name} ({role_label(job.requested_by_role)})"
        )
        if job.version == ExportJob.Version.RELEASE:
            return _release_render(job, reader)
        # The render's reads go to the replica once it has replayed this job (and with it every
        # entry up to the job's chain head); writes, progress included, go to the primary.
        with replica_reads(caught_up=ExportJob.objects.filter(pk=job_id).exists):
            pdf = chronology_pdf(
                stamp=Stamp(
                    school=school.name,
                    generated_by=generated_by,
                    generated_at=job.requested_at,
                    version_label=ExportJob.Version(job.version).label,
                    chain_head=job.chain_head,
                    entries_count=job.entries_count,
                    filters=filters_sentence(export_filters_shown(job)),
                ),
                pupil=job.pupil,
                entries=export_entries(reader, job).iterator(chunk_size=500),
                external=external,
                staff=_staff_names(job, school) if external else None,
                progress=_progress_writer(job_id),
                body_maps=concern_body_maps(export_entries(reader, job)),
            )
        if job.version in PACKAGE_VERSIONS:
            pdf = _package(job, school, pdf)
        job.file.save("export.pdf", ContentFile(pdf), save=False)
        stored = job.file.name or ""
        finished = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
            status=ExportJob.Status.DONE,
            progress=100,
            file=stored,
            file_sha256=hashlib.sha256(pdf).hexdigest(),
            finished_at=timezone.now(),
            sealed_password="",  # the package is encrypted: its password is no longer needed
        )
        if not finished:  # someone else took it over meanwhile (a stale claim): theirs stands
            job.file.storage.delete(stored)
        return bool(finished)
    # Any failure is reported on the job (and the page), never left as a job "running" forever.
    except Exception as error:
        if stored:
            job.file.storage.delete(stored)
        # The kind of failure and the job id only: messages can quote the record
        # (docs/rules.md, "No side channels").
        logger.warning("Export job %s failed: %s", job_id, type(error).__name__)
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).update(
            status=ExportJob.Status.FAILED,
            sealed_password="",  # a failed package is asked for again, with a new password
            error=(
                "The person who asked for it no longer reads every record here."
                if isinstance(error, RequesterNoLongerAllowed)
                else f"The PDF could not be made ({type(error).__name__})."
            )[:200],
            finished_at=timezone.now(),
        )
        if job.version == ExportJob.Version.RELEASE:
            release_reopen(job_id=job_id)
        return False


def _release_render(job: ExportJob, reader: Reader) -> bool:
    """A subject access response: the PDF of what was released, kept on its request, which is
    marked released in the same transaction as the job is marked done."""
    write = _progress_writer(job.pk)
    write(10)
    pdf = subject_access.sar_release_render(job=job, reader=reader)
    write(80)
    job.file.save("export.pdf", ContentFile(pdf), save=False)
    stored = job.file.name or ""
    try:
        with transaction.atomic():
            finished = ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
                status=ExportJob.Status.DONE,
                progress=100,
                file=stored,
                file_sha256=hashlib.sha256(pdf).hexdigest(),
                finished_at=timezone.now(),
            )
            if finished:
                subject_access.sar_release_finish(job=job, reader=reader, pdf=pdf)
    except Exception:
        job.file.storage.delete(stored)
        raise
    if not finished:  # someone else took it over meanwhile (a stale claim): theirs stands
        job.file.storage.delete(stored)
    return bool(finished)


# The versions that make a transfer package (docs/transfers.md, "Outside the trust").
PACKAGE_VERSIONS = frozenset({ExportJob.Version.PACKAGE, ExportJob.Version.PRINTABLE})


def _package(job: ExportJob, school: School, chronology: bytes) -> bytes:
    """The chronology followed by the rest of the file and the receipt page; the package
    encrypted with its sealed password, the printable copy not."""
    transfer = OutsideTransfer.objects.filter(Q(package_id=job.pk) | Q(printable_id=job.pk)).first()
    appendix = file_appendix_pdf(
        school=school.name, pupil=job.pupil, transfer=transfer, receipt=True
    )
    if job.version == ExportJob.Version.PRINTABLE:
        return package_join(chronology, appendix, password=None)
    if not job.sealed_password:
        raise ValueError("The package has no password.")
    return package_join(chronology, appendix, password=password_unseal(job.sealed_password))


def _still_allowed(job: ExportJob, school: School) -> bool:
    # A worker may run a while after the request: a person who lost their role since does not
    # get the export made.
    role = (
        SchoolMembership.objects.filter(
            school=school, user_id=job.requested_by_id, user__is_active=True
        )
        .values_list("role", flat=True)
        .first()
    )
    # A transfer package is for those who send files (docs/transfers.md, "Outside the trust"),
    # a subject access response for those who answer requests.
    needed = (
        Capability.TRANSFER_FILES
        if job.version in PACKAGE_VERSIONS
        else Capability.MANAGE_SUBJECT_ACCESS
        if job.version == ExportJob.Version.RELEASE
        else Capability.VIEW_ALL_RECORDS
    )
    return role is not None and role_allows(frozenset({Role(role)}), needed)


def export_download_record(
    *, reader: Reader, job: ExportJob, request: HttpRequest | None = None
) -> None:
    """Each download is an export of the record: written to the school's access log."""
    access_log_record(
        person=reader.person,
        action=AccessAction.EXPORTED,
        object_type="export",
        object_id=job.pk,
        pupil_id=job.pupil_id,
        request=request,
    )
