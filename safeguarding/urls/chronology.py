from __future__ import annotations

from django.urls import path

from safeguarding.views import chronology

urlpatterns = [
    path(
        "pupils/<int:pupil_id>/chronology/",
        chronology.pupil_chronology,
        name="pupil_chronology",
    ),
    path("pupils/<int:pupil_id>/contacts/", chronology.contact_add, name="contact_add"),
    path("pupils/<int:pupil_id>/chronology/note/", chronology.note_add, name="note_add"),
    path(
        "pupils/<int:pupil_id>/chronology/child-informed/",
        chronology.child_informed_add,
        name="child_informed_add",
    ),
    path(
        "pupils/<int:pupil_id>/chronology/printed/",
        chronology.chronology_printed,
        name="chronology_printed",
    ),
    path("chronology/<int:entry_id>/correct/", chronology.entry_correct, name="entry_correct"),
]
