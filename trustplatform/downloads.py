"""The one way a stored file leaves the site: as a hardened download."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def file_download(
    file: FieldFile, *, filename: str, content_type: str, under: str | None = None
) -> FileResponse:
    """The stored file as an attachment named `filename`, streamed rather than held in memory.

    Never rendered by the browser as a page (an uploaded HTML file would run as our site), never
    kept in a shared or browser cache. `filename` is the caller's neutral name: stored files are
    often named after a person, and the browser keeps the name in its downloads list. With
    `under`, the file must lie under that storage prefix (defence in depth: a school's own
    files only), else the same 404 as a missing file.
    """
    if under is not None and not (file.name or "").startswith(under):
        raise Http404
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
