"""Pupil pages, in the `safeguarding:` namespace.

Who may open each page: tests/safeguarding/authz_pupils.py.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from safeguarding.views import pupil_sync, pupils

urlpatterns: list[URLPattern] = [
    path("pupils/", pupils.pupil_list, name="pupil_list"),
    path("pupils/search/", pupils.pupil_search, name="pupil_search"),
    path("pupils/manage/", pupils.pupil_manage, name="pupil_manage"),
    path("pupils/new/", pupils.pupil_enrol, name="pupil_enrol"),
    path("pupils/import/", pupils.pupil_import, name="pupil_import"),
    path("pupils/import/confirm/", pupils.pupil_import_confirm, name="pupil_import_confirm"),
    path("pupils/sync/", pupil_sync.pupil_sync_runs, name="pupil_sync_runs"),
    path("pupils/sync/<int:run_id>/", pupil_sync.pupil_sync_run, name="pupil_sync_run"),
    path("pupils/<int:pupil_id>/", pupils.pupil_detail, name="pupil_detail"),
    path("pupils/<int:pupil_id>/edit/", pupils.pupil_edit, name="pupil_edit"),
    path("pupils/<int:pupil_id>/flags/", pupils.pupil_flag_set, name="pupil_flag_set"),
    path(
        "pupils/<int:pupil_id>/family/",
        pupils.pupil_relative_add,
        name="family_link_add",
    ),
    path(
        "pupils/<int:pupil_id>/family/<int:relative_id>/remove/",
        pupils.pupil_relative_remove,
        name="family_link_remove",
    ),
]
