"""Subject access requests for a pupil's record: open one, decide entry by entry, redact,
release the PDF and download it again.

For the DSL and deputies (Capability.MANAGE_SUBJECT_ACCESS); missing and forbidden look the same:
a 404. docs/rules.md, "Subject access".
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from safeguarding.forms.subject_access import SarOpenForm, SarReleaseForm
from safeguarding.models import Exemption, SubjectAccessRequest
from safeguarding.permissions import reader_required
from safeguarding.selectors.pupils import pupil_get_for_reader, pupil_get_unlogged
from safeguarding.selectors.subject_access import (
    redaction_suggestions,
    sar_decisions,
    sar_get_for_reader,
    sar_released_rows,
    sars_of_pupil,
)
from safeguarding.services.subject_access import (
    sar_decide,
    sar_download_record,
    sar_open,
    sar_redactions_set,
    sar_release,
)
from safeguarding.views.common import error_text
from tenants.db import school_connection
from trustplatform.downloads import file_download
from trustplatform.fields import form_errors_text
from trustplatform.permissions import Capability, require


@require(Capability.MANAGE_SUBJECT_ACCESS)
@require_GET
def pupil_sars(request: HttpRequest, pupil_id: int) -> HttpResponse:
    """A pupil's requests, and the form to open one."""
    reader = reader_required(request)
    pupil = pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=request)
    return render(
        request,
        "safeguarding/subject_access/list.html",
        {
            "pupil": pupil,
            "sars": sars_of_pupil(pupil),
            "form": SarOpenForm(initial={"received_on": timezone.localdate()}),
        },
    )


@require(Capability.MANAGE_SUBJECT_ACCESS)
@require_POST
def sar_create(request: HttpRequest, pupil_id: int) -> HttpResponse:
    reader = reader_required(request)
    pupil = pupil_get_unlogged(reader=reader, pupil_id=pupil_id)
    form = SarOpenForm(request.POST)
    if form.is_valid():
        try:
            sar = sar_open(
                reader=reader,
                pupil=pupil,
                requester_kind=form.cleaned_data["requester_kind"],
                requester=form.cleaned_data["requester"],
                received_on=form.cleaned_data["received_on"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("safeguarding:sar_detail", sar_id=sar.pk)
    messages.error(request, form_errors_text(form))
    return render(
        request,
        "safeguarding/subject_access/list.html",
        {"pupil": pupil, "sars": sars_of_pupil(pupil), "form": form},
        status=400,
    )


@require(Capability.MANAGE_SUBJECT_ACCESS)
@require_GET
def sar_detail(request: HttpRequest, sar_id: int) -> HttpResponse:
    """Every entry of the pupil's record with its decision, the redactions with suggestions,
    and the release (or, once released, its summary and download)."""
    reader = reader_required(request)
    sar = sar_get_for_reader(reader=reader, sar_id=sar_id)
    # The page shows the record: written to the access log as a view of the pupil.
    pupil_get_for_reader(reader=reader, pupil_id=sar.pupil_id, request=request)
    is_open = sar.status == SubjectAccessRequest.Status.OPEN
    return render(
        request,
        "safeguarding/subject_access/detail.html",
        {
            "sar": sar,
            "pupil": sar.pupil,
            "is_open": is_open,
            "decisions": sar_decisions(reader, sar),
            "exemptions": Exemption.choices,
            "suggestions": redaction_suggestions(
                sar.pupil, sar_released_rows(reader, sar, phrases=())
            )
            if is_open
            else [],
            "redacted": {phrase.casefold() for phrase in sar.redactions},
            "release_form": SarReleaseForm(),
            "today": timezone.localdate(),
        },
    )


@require(Capability.MANAGE_SUBJECT_ACCESS)
@require_POST
def sar_entries_set(request: HttpRequest, sar_id: int) -> HttpResponse:
    """Saves each entry's decision: posted as `exemption-<entry id>`, "" to release."""
    reader = reader_required(request)
    sar = sar_get_for_reader(reader=reader, sar_id=sar_id)
    exemptions: dict[int, str] = {}
    for name in request.POST:
        if name.startswith("exemption-") and name[len("exemption-") :].isdigit():
            exemptions[int(name[len("exemption-") :])] = request.POST.get(name, "")
    try:
        sar_decide(reader=reader, sar=sar, exemptions=exemptions)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, "What is released and withheld is saved.")
    return redirect("safeguarding:sar_detail", sar_id=sar.pk)


@require(Capability.MANAGE_SUBJECT_ACCESS)
@require_POST
def sar_redactions_update(request: HttpRequest, sar_id: int) -> HttpResponse:
    """Saves the names and phrases to redact: one a line, and the suggestions ticked."""
    reader = reader_required(request)
    sar = sar_get_for_reader(reader=reader, sar_id=sar_id)
    phrases = [
        *request.POST.get("redactions", "").splitlines(),
        *request.POST.getlist("suggested"),
    ]
    try:
        sar_redactions_set(reader=reader, sar=sar, phrases=phrases)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, "The redactions are saved.")
    return redirect("safeguarding:sar_detail", sar_id=sar.pk)


@require(Capability.MANAGE_SUBJECT_ACCESS)
@require_POST
def sar_release_view(request: HttpRequest, sar_id: int) -> HttpResponse:
    reader = reader_required(request)
    sar = sar_get_for_reader(reader=reader, sar_id=sar_id)
    form = SarReleaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("safeguarding:sar_detail", sar_id=sar.pk)
    try:
        sar_release(
            reader=reader, sar=sar, released_to=form.cleaned_data["released_to"], request=request
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request, "The response is released: its PDF is being made and will be kept here."
        )
    return redirect("safeguarding:sar_detail", sar_id=sar.pk)


@require(Capability.MANAGE_SUBJECT_ACCESS)  # type: ignore[arg-type]
@require_GET
def sar_download(request: HttpRequest, sar_id: int) -> FileResponse:
    """The released PDF; each download is written to the access log as an export."""
    reader = reader_required(request)
    sar = sar_get_for_reader(reader=reader, sar_id=sar_id)
    if sar.status != SubjectAccessRequest.Status.RELEASED or not sar.file:
        raise Http404
    under = f"{school_connection.schema_name}/"
    if not (sar.file.name or "").startswith(under):
        raise Http404
    sar_download_record(reader=reader, sar=sar, request=request)
    return file_download(
        sar.file,
        # Ids only: file names end up in download folders and histories.
        filename=f"subject-access-pupil-{sar.pupil_id}-request-{sar.pk}.pdf",
        content_type="application/pdf",
        under=under,
    )
