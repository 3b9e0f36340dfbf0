"""Transfers of safeguarding files on a school's site (transfers/)."""

from __future__ import annotations

from django.urls import path

from trustplatform.transfers import views

app_name = "transfers"

urlpatterns = [
    path("", views.transfer_list, name="list"),
    path("pupils/<int:pupil_id>/start/", views.transfer_start_page, name="start"),
    path("pupils/<int:pupil_id>/later/", views.supplement_page, name="supplement"),
    path("<int:transfer_id>/", views.transfer_detail, name="detail"),
    path("<int:transfer_id>/accept/", views.transfer_accept_page, name="accept"),
    path("<int:transfer_id>/reject/", views.transfer_reject_page, name="reject"),
]
