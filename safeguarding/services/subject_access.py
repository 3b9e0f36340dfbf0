"""Subject access requests (UK GDPR Art. 15): open one, decide what is released, release it.

docs/rules.md, "Subject access". The request is answered within one calendar month of receipt;
the DSL withholds an entry under a Data Protection Act 2018 exemption, and redacts third
parties' names, which are replaced in the text before the PDF is laid out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from safeguarding.export_pdf import EntryRow
from safeguarding.models import (
    AccessAction,
    ChronologyEntry,
    Exemption,
    ExportJob,
    Pupil,
    SubjectAccessRequest,
    SubjectAccessWithholding,
)
from safeguarding.permissions import Reader
from safeguarding.selectors.subject_access import sar_entries, sar_released_rows
from safeguarding.services.access import access_log_record
from safeguarding.services.chronology import chronology_append
from safeguarding.services.export_queue import export_queue_on_commit
from tenants.db import school_connection
from tenants.models import School
from trustplatform.hashchain import GENESIS_HASH

# How many names or phrases one request may redact, and how long each: enough for any record.
MAX_REDACTIONS = 200
MAX_PHRASE = 200


def sar_due_on(received_on: dt.date) -> dt.date:
    """One calendar month from receipt: the same day of the next month, or its last day when it
    has no such day (received 31 January, due 28 or 29 February), as the ICO counts it."""
    return received_on + relativedelta(months=1)


@transaction.atomic
def sar_open(
    *,
    reader: Reader,
    pupil: Pupil,
    requester_kind: str,
    requester: str,
    received_on: dt.date,
) -> SubjectAccessRequest:
    """Opens a request for the pupil's record, due one calendar month after it was received."""
    errors: dict[str, str] = {}
    if requester_kind not in SubjectAccessRequest.Requester.values:
        errors["requester_kind"] = "Choose who asked from the list."
    if not requester.strip():
        errors["requester"] = "Say who asked: their name and how they relate to the child."
    if received_on > timezone.localdate():
        errors["received_on"] = "The date received cannot be in the future."
    if errors:
        raise ValidationError(errors)
    if not reader.reads_everything:
        raise ValidationError("Only those who read every record answer a subject access request.")
    return SubjectAccessRequest.objects.create(
        pupil=pupil,
        requester_kind=requester_kind,
        requester=requester.strip()[:200],
        received_on=received_on,
        due_on=sar_due_on(received_on),
        opened_by_id=reader.user_id,
        opened_by_name=reader.name,
        opened_by_role=str(reader.role),
    )


def _open_locked(sar: SubjectAccessRequest) -> SubjectAccessRequest:
    locked = SubjectAccessRequest.objects.select_for_update().select_related("pupil").get(pk=sar.pk)
    if locked.status != SubjectAccessRequest.Status.OPEN:
        raise ValidationError("This request has been released already: it can no longer change.")
    return locked


@transaction.atomic
def sar_decide(
    *, reader: Reader, sar: SubjectAccessRequest, exemptions: dict[int, str]
) -> SubjectAccessRequest:
    """Sets what happens to each entry named in `exemptions` (entry id to exemption): "" to
    release it, an exemption to withhold it under. Entries not named keep their decision."""
    sar = _open_locked(sar)
    known = set(sar_entries(reader, sar).values_list("pk", flat=True))
    for entry_id, exemption in exemptions.items():
        if entry_id not in known:
            raise ValidationError("An entry of another record cannot be decided here.")
        if exemption and exemption not in Exemption.values:
            raise ValidationError("Choose an exemption from the list.")
    for entry_id, exemption in exemptions.items():
        if exemption:
            SubjectAccessWithholding.objects.update_or_create(
                request=sar, entry_id=entry_id, defaults={"exemption": exemption}
            )
        else:
            SubjectAccessWithholding.objects.filter(request=sar, entry_id=entry_id).delete()
    return sar


@transaction.atomic
def sar_redactions_set(
    *, reader: Reader, sar: SubjectAccessRequest, phrases: Iterable[str]
) -> SubjectAccessRequest:
    """The names and phrases to redact from every released text, each once."""
    sar = _open_locked(sar)
    kept: dict[str, str] = {}
    for phrase in phrases:
        spaced = " ".join(phrase.split())
        if "\x00" in spaced:
            raise ValidationError("A name or phrase to redact cannot hold a null character.")
        if len(spaced) > MAX_PHRASE:
            raise ValidationError(f"A name or phrase to redact is at most {MAX_PHRASE} characters.")
        if spaced:
            kept.setdefault(spaced.casefold(), spaced)
    if len(kept) > MAX_REDACTIONS:
        raise ValidationError(f"At most {MAX_REDACTIONS} names or phrases can be redacted.")
    sar.redactions = list(kept.values())
    sar.save(update_fields=["redactions"])
    return sar


def release_pdf(
    *, school: str, sar: SubjectAccessRequest, rows: list[EntryRow], released_on: dt.date
) -> bytes:
    """The release as a PDF (WeasyPrint): the rows as given, already redacted."""
    from weasyprint import HTML  # noqa: PLC0415 - deferred as in safeguarding/export_pdf.py

    html = render_to_string(
        "safeguarding/subject_access/pdf.html",
        {
            "school": school,
            "pupil": sar.pupil,
            "rows": rows,
            "received_on": sar.received_on,
            "released_on": released_on,
        },
    )
    pdf = HTML(string=html).write_pdf()
    if pdf is None:  # only when given a target to write to, which is not done here
        raise RuntimeError("WeasyPrint returned no PDF.")
    return pdf


def sar_release(
    *,
    reader: Reader,
    sar: SubjectAccessRequest,
    released_to: str,
    request: HttpRequest | None = None,
) -> SubjectAccessRequest:
    """Releases the request as it stands and asks a worker for its PDF (`sar_release_render`).

    From here the request can no longer change (status "releasing"), so the PDF holds what the
    DSL released. Never made in the request: WeasyPrint holds a web process for seconds. The
    release is written to the access log now; the chronology note once the PDF is kept.
    """
    if not released_to.strip():
        raise ValidationError({"released_to": "Say to whom the response is sent."})
    with transaction.atomic():
        locked = _open_locked(sar)
        head = ChronologyEntry.objects.order_by("-pk").values_list("pk", "row_hash").first()
        job = ExportJob.objects.create(
            pupil=locked.pupil,
            version=ExportJob.Version.RELEASE,
            requested_by_id=reader.user_id,
            requested_by_name=reader.name,
            requested_by_role=str(reader.role),
            chain_head=head[1] if head else GENESIS_HASH,
            chain_head_entry_id=head[0] if head else None,
            entries_count=sar_entries(reader, locked).count(),
        )
        locked.status = SubjectAccessRequest.Status.RELEASING
        locked.release_job = job
        locked.released_by_id = reader.user_id
        locked.released_by_name = reader.name
        locked.released_by_role = str(reader.role)
        locked.released_to = released_to.strip()[:200]
        locked.save()
        access_log_record(
            person=reader.person,
            action=AccessAction.EXPORTED,
            object_type="subject_access",
            object_id=locked.pk,
            pupil_id=locked.pupil_id,
            request=request,
        )
        export_queue_on_commit(job)
    return locked


def _releasing(job: ExportJob, *, lock: bool = False) -> SubjectAccessRequest:
    found = SubjectAccessRequest.objects.select_related("pupil")
    if lock:
        found = found.select_for_update()
    return found.get(release_job=job, status=SubjectAccessRequest.Status.RELEASING)


def sar_release_render(*, job: ExportJob, reader: Reader) -> bytes:
    """The worker's half: the PDF of the entries released, redacted."""
    sar = _releasing(job)
    school = School.objects.get(schema_name=school_connection.schema_name)
    rows = sar_released_rows(reader, sar, phrases=sar.redactions)
    return release_pdf(
        school=school.name, sar=sar, rows=rows, released_on=timezone.localdate(job.requested_at)
    )


def sar_release_finish(*, job: ExportJob, reader: Reader, pdf: bytes) -> None:
    """Keeps the PDF on the request and records the release in the pupil's chronology (who,
    when, to whom, how many released and withheld). Called in the transaction that marks the
    job done; the file is removed again if that transaction fails."""
    locked = _releasing(job, lock=True)
    released = len(sar_released_rows(reader, locked, phrases=()))
    total = sar_entries(reader, locked).count()
    locked.file.save("release.pdf", ContentFile(pdf), save=False)
    stored = locked.file.name or ""
    try:
        locked.status = SubjectAccessRequest.Status.RELEASED
        locked.released_at = timezone.now()
        locked.released_count = released
        locked.withheld_count = total - released
        locked.file_sha256 = hashlib.sha256(pdf).hexdigest()
        locked.save()
        chronology_append(
            pupil=locked.pupil,
            kind=ChronologyEntry.Kind.NOTE,
            author=reader.person,  # the person who released it, as the job keeps them
            title="Subject access request answered",
            body=(
                f"Response released to {locked.released_to}: "
                f"{locked.released_count} entr{'y' if locked.released_count == 1 else 'ies'} "
                f"released, {locked.withheld_count} withheld; "
                f"{len(locked.redactions)} name(s) or phrase(s) redacted."
            ),
            details={
                "subject_access_request_id": locked.pk,
                "released_to": locked.released_to,
                "released": locked.released_count,
                "withheld": locked.withheld_count,
            },
        )
    except Exception:
        locked.file.storage.delete(stored)
        raise


def sar_download_record(
    *, reader: Reader, sar: SubjectAccessRequest, request: HttpRequest | None = None
) -> None:
    """Each download of a release is an export of the record: written to the access log."""
    access_log_record(
        person=reader.person,
        action=AccessAction.EXPORTED,
        object_type="subject_access",
        object_id=sar.pk,
        pupil_id=sar.pupil_id,
        request=request,
    )
