"""A pupil's documents. Files have no other URL: the download view is the only way out."""

from __future__ import annotations

from django.urls import URLPattern, path

from safeguarding.views import documents

urlpatterns: list[URLPattern] = [
    path("pupils/<int:pupil_id>/documents/", documents.document_list, name="document_list"),
    path(
        "pupils/<int:pupil_id>/documents/upload/",
        documents.document_new,
        name="document_upload",
    ),
    path("documents/<int:document_id>/", documents.document_download, name="document_download"),
]
