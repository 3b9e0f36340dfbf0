from __future__ import annotations

from django.urls import path

from safeguarding.views import chronology

urlpatterns = [
    path(
        "pupils/<int:pupil_id>/chronology/",
        chronology.pupil_chronology,
        name="pupil_chronology",
    ),
    path(
        "pupils/<int:pupil_id>/contacts/",
        chronology.record_add,
        {"page": "contact"},
        name="contact_add",
    ),
    path(
        "pupils/<int:pupil_id>/chronology/note/",
        chronology.record_add,
        {"page": "note"},
        name="note_add",
    ),
    path(
        "pupils/<int:pupil_id>/chronology/child-informed/",
        chronology.record_add,
        {"page": "child_informed"},
        name="child_informed_add",
    ),
    path(
        "pupils/<int:pupil_id>/chronology/printed/",
        chronology.chronology_printed,
        name="chronology_printed",
    ),
    path("chronology/<int:entry_id>/correct/", chronology.entry_correct, name="entry_correct"),
]
