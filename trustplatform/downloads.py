"""The one way a file leaves the site: as a hardened download."""

from __future__ import annotations

from typing import TypeVar

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase
from django.utils.http import content_disposition_header

Response = TypeVar("Response", bound=HttpResponseBase)


def file_download(
    file: FieldFile, *, filename: str, content_type: str, under: str | None = None
) -> FileResponse:
    """The stored file as an attachment named `filename`, streamed rather than held in memory.

    `filename` is the caller's neutral name: stored files are often named after a person, and the
    browser keeps the name in its downloads list. With `under`, the file must lie under that
    storage prefix (defence in depth: a school's own files only), else the same 404 as a missing
    file.
    """
    if under is not None and not (file.name or "").startswith(under):
        raise Http404
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    return _hardened(response)


def written_download(*, filename: str, content_type: str) -> HttpResponse:
    """An empty attachment named `filename` for the caller to write into (a CSV built per request),
    with the same headers as a stored file's download."""
    response = HttpResponse(content_type=content_type)
    # Quoted and encoded as Django's FileResponse does; None only for an inline response.
    disposition = content_disposition_header(as_attachment=True, filename=filename)
    response["Content-Disposition"] = disposition or "attachment"
    return _hardened(response)


def _hardened(response: Response) -> Response:
    # Never rendered by the browser as a page (an uploaded HTML file would run as our site),
    # never kept in a shared or browser cache.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
