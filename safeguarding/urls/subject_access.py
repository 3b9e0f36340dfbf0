"""Subject access requests: ids only in every URL (who asked never travels in one)."""

from __future__ import annotations

from django.urls import URLPattern, path

from safeguarding.views import subject_access as views

urlpatterns: list[URLPattern] = [
    path("pupils/<int:pupil_id>/subject-access/", views.pupil_sars, name="pupil_sars"),
    path("pupils/<int:pupil_id>/subject-access/new/", views.sar_create, name="sar_create"),
    path("subject-access/<int:sar_id>/", views.sar_detail, name="sar_detail"),
    path("subject-access/<int:sar_id>/entries/", views.sar_entries_set, name="sar_entries"),
    path(
        "subject-access/<int:sar_id>/redactions/",
        views.sar_redactions_update,
        name="sar_redactions",
    ),
    path("subject-access/<int:sar_id>/release/", views.sar_release_view, name="sar_release"),
    path("subject-access/<int:sar_id>/download/", views.sar_download, name="sar_download"),
]
