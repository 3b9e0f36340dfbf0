"""A pupil's documents: the list, the upload page, and the one way a file leaves: the download."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from safeguarding.forms.documents import DocumentUploadForm
from safeguarding.permissions import reader_for, reader_required
from safeguarding.selectors.documents import document_get_for_reader, documents_visible
from safeguarding.selectors.pupils import pupil_get_for_reader
from safeguarding.services.documents import document_upload
from safeguarding.views.common import form_errors_add
from tenants.db import school_connection
from trustplatform.downloads import file_download
from trustplatform.permissions import Capability, Decision, decide, refusal, require

# Everyone who reads some child records: the DSL, deputies, headteacher, and key holders (who
# then see only what their grant covers).
READER_CAPABILITIES = (Capability.VIEW_ALL_RECORDS, Capability.VIEW_GRANTED_RECORDS)


def require_reader(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Like `require`, for pages open to any reader of child records, whichever their grant."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        decisions = {decide(request, action) for action in READER_CAPABILITIES}
        for decision in (
            Decision.ALLOWED,
            Decision.LOGIN_REQUIRED,
            Decision.TWO_FACTOR_REQUIRED,
            Decision.DENIED,
        ):
            if decision in decisions:
                break
        if decision is not Decision.ALLOWED:
            return refusal(request, decision)
        return view(request, *args, **kwargs)

    wrapped.required_capability = READER_CAPABILITIES  # type: ignore[attr-defined]
    return wrapped


@require_GET
@require_reader
def document_list(request: HttpRequest, pupil_id: int) -> HttpResponse:
    reader = reader_required(request)
    pupil = pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=request)
    return render(
        request,
        "safeguarding/documents/list.html",
        {
            "pupil": pupil,
            "documents": documents_visible(reader, pupil).select_related("concern"),
            "may_upload": reader.reads_everything,
        },
    )


@require(Capability.VIEW_ALL_RECORDS)
@require_http_methods(["GET", "POST"])
def document_new(request: HttpRequest, pupil_id: int) -> HttpResponse:
    reader = reader_required(request)
    pupil = pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=request)
    form = DocumentUploadForm(
        request.POST or None, request.FILES or None, pupil=pupil, reader=reader
    )
    if request.method == "POST" and form.is_valid():
        try:
            document_upload(
                pupil=pupil,
                uploaded_file=form.cleaned_data["file"],
                overview=form.cleaned_data["overview"],
                author=reader.person,
                concern=form.cleaned_data["concern"],
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            # No file name: messages travel in a cookie, and a file is often named after the child.
            messages.success(request, "The document is stored on the record and in its chronology.")
            return redirect("safeguarding:document_list", pupil_id=pupil.pk)
    return render(
        request,
        "safeguarding/documents/upload.html",
        {"pupil": pupil, "form": form},
    )


@require_GET
@require_reader
def document_download(request: HttpRequest, document_id: int) -> HttpResponseBase:
    """The file, as a download, to a reader allowed to see it; written to the access log."""
    document = document_get_for_reader(
        reader=reader_for(request), document_id=document_id, request=request
    )
    return file_download(
        document.file,
        # A neutral name: uploaded files are often named after the child.
        filename=f"document-{document.pk}{PurePath(document.original_name).suffix.lower()}",
        content_type=document.content_type,
        under=f"{school_connection.schema_name}/",
    )
