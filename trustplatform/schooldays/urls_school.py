"""The school calendar on a school's site (calendar/)."""

from __future__ import annotations

from django.urls import path

from trustplatform.schooldays import views

app_name = "schooldays"

urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("terms/new/", views.term_set, name="term_new"),
    path("terms/<int:term_id>/edit/", views.term_set, name="term_edit"),
    path("terms/<int:term_id>/remove/", views.term_remove, name="term_remove"),
    path("closures/new/", views.closure_add, name="closure_add"),
    path("closures/<int:closure_id>/remove/", views.closure_remove, name="closure_remove"),
    path("day-start/", views.day_start, name="day_start"),
]
