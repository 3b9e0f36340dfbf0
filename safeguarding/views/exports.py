"""PDF exports of a pupil's chronology: ask for one, watch it being made, download it.

For those who read every record only (Capability.VIEW_ALL_RECORDS): an export presented as the
chronology must be the whole of it. Missing and forbidden look the same: a 404.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from safeguarding.forms.chronology import ChronologyFilter, ExportForm
from safeguarding.models import ChronologyEntry, ExportJob
from safeguarding.permissions import reader_for, reader_required
from safeguarding.selectors.categories import categories_visible
from safeguarding.selectors.exports import (
    export_filters_shown,
    export_get_for_reader,
    exports_of_pupil,
)
from safeguarding.selectors.pupils import pupil_get_for_reader, pupil_get_unlogged
from safeguarding.services.exports import (
    export_download_record,
    export_request,
)
from safeguarding.views.common import error_text
from tenants.db import school_connection
from trustplatform.downloads import file_download
from trustplatform.fields import form_errors_text
from trustplatform.permissions import Capability, require

FILTER_NAMES = ("kind", "category", "since", "until")


@require(Capability.VIEW_ALL_RECORDS)
@require_GET
def pupil_exports(request: HttpRequest, pupil_id: int) -> HttpResponse:
    """The export form, with the chronology page's filters (its "Export as PDF" brings them)."""
    reader = reader_required(request)
    pupil = pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=request)
    chosen = ChronologyFilter(request.GET)
    return render(
        request,
        "safeguarding/exports/list.html",
        {
            "pupil": pupil,
            "exports": exports_of_pupil(pupil),
            # Filters not understood are left out, and said so: the form shows what will be used.
            "filters": {
                name: request.GET[name]
                for name in FILTER_NAMES
                if request.GET.get(name) and name not in chosen.errors
            },
            "filter_error": ""
            if chosen.is_valid()
            else f"Some filters were not understood and are left out. {form_errors_text(chosen)}",
            "kinds": ChronologyEntry.Kind.choices,
            "categories": categories_visible(reader),
            "reader": reader,
        },
    )


@require(Capability.VIEW_ALL_RECORDS)
@require_POST
def export_create(request: HttpRequest, pupil_id: int) -> HttpResponse:
    reader = reader_required(request)
    # Found without a "viewed" row in the access log: the service writes the export itself.
    pupil = pupil_get_unlogged(reader=reader, pupil_id=pupil_id)
    form = ExportForm(request.POST)
    # Back to the form with the filters as they were sent: nothing typed is lost.
    again = reverse("safeguarding:pupil_exports", kwargs={"pupil_id": pupil.pk})
    sent = {name: request.POST[name] for name in FILTER_NAMES if request.POST.get(name)}
    if sent:
        again += "?" + urlencode(sent)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect(again)
    try:
        job = export_request(
            reader=reader,
            pupil=pupil,
            version=ExportJob.Version(form.cleaned_data["version"]),
            filters={name: form.cleaned_data.get(name) for name in FILTER_NAMES},
            request=request,
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect(again)
    # Failed already when it could not be queued (the broker is unreachable).
    if job.status == ExportJob.Status.FAILED:
        messages.error(request, "The PDF could not be made.")
    return redirect("safeguarding:export_detail", job_id=job.pk)


# The progress page and its fragment show no record, only the job: they are not written to the
# access log (a poll every second would bury it). Asking and downloading are.
@require(Capability.VIEW_ALL_RECORDS)
@require_GET
def export_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = export_get_for_reader(reader=reader_for(request), job_id=job_id)
    return render(
        request,
        "safeguarding/exports/detail.html",
        {"job": job, "filters_shown": export_filters_shown(job)},
    )


@require(Capability.VIEW_ALL_RECORDS)
@require_GET
def export_status(request: HttpRequest, job_id: int) -> HttpResponse:
    """The status fragment the progress page polls (HTMX, every second while it is being made)."""
    job = export_get_for_reader(reader=reader_for(request), job_id=job_id)
    response = render(request, "safeguarding/exports/_status.html", {"job": job})
    response["Cache-Control"] = "no-store"
    return response


# `require` is typed for HttpResponse; a FileResponse streams the file instead of holding it.
@require(Capability.VIEW_ALL_RECORDS)  # type: ignore[arg-type]
@require_GET
def export_download(request: HttpRequest, job_id: int) -> FileResponse:
    """The PDF as a download; each download is written to the access log as an export."""
    reader = reader_required(request)
    job = export_get_for_reader(reader=reader, job_id=job_id)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404
    # Checked before the download is written to the access log: a file outside this school's
    # own prefix in the storage is never handed over.
    under = f"{school_connection.schema_name}/"
    if not (job.file.name or "").startswith(under):
        raise Http404
    export_download_record(reader=reader, job=job, request=request)
    return file_download(
        job.file,
        # Ids only: file names end up in download folders, histories and proxies' logs.
        filename=f"chronology-pupil-{job.pupil_id}-{job.version}-export-{job.pk}.pdf",
        content_type="application/pdf",
        under=under,
    )
