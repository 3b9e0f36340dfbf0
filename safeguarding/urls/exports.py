"""PDF exports of a pupil's chronology. The file has no other URL than the download view."""

from __future__ import annotations

from django.urls import URLPattern, path

from safeguarding.views import exports

urlpatterns: list[URLPattern] = [
    path("pupils/<int:pupil_id>/exports/", exports.pupil_exports, name="pupil_exports"),
    path("pupils/<int:pupil_id>/exports/new/", exports.export_create, name="export_create"),
    path("exports/<int:job_id>/", exports.export_detail, name="export_detail"),
    path("exports/<int:job_id>/status/", exports.export_status, name="export_status"),
    path("exports/<int:job_id>/download/", exports.export_download, name="export_download"),
]
