"""Retention: the review queue, legal holds, destruction and its certificates."""

from __future__ import annotations

from django.urls import URLPattern, path

from safeguarding.views import retention

urlpatterns: list[URLPattern] = [
    # An allegation record, named by its concern as the allegation's own pages are.
    path(
        "retention/allegations/<int:concern_id>/",
        retention.allegation_retention,
        name="allegation_retention",
    ),
    path(
        "retention/allegations/<int:concern_id>/hold/",
        retention.legal_hold_place_view,
        name="allegation_legal_hold_place",
    ),
    path(
        "retention/allegations/<int:concern_id>/hold/lift/",
        retention.legal_hold_lift_view,
        name="allegation_legal_hold_lift",
    ),
    path(
        "retention/allegations/<int:concern_id>/keep/",
        retention.retention_keep_view,
        name="allegation_retention_keep",
    ),
    path(
        "retention/allegations/<int:concern_id>/destroy/",
        retention.destruction_propose_view,
        name="allegation_destruction_propose",
    ),
    path("retention/", retention.retention_home, name="retention"),
    path("retention/pupils/<int:pupil_id>/", retention.pupil_retention, name="pupil_retention"),
    path(
        "retention/pupils/<int:pupil_id>/hold/",
        retention.legal_hold_place_view,
        name="legal_hold_place",
    ),
    path(
        "retention/pupils/<int:pupil_id>/hold/lift/",
        retention.legal_hold_lift_view,
        name="legal_hold_lift",
    ),
    path(
        "retention/pupils/<int:pupil_id>/keep/",
        retention.retention_keep_view,
        name="retention_keep",
    ),
    path(
        "retention/pupils/<int:pupil_id>/destroy/",
        retention.destruction_propose_view,
        name="destruction_propose",
    ),
    path(
        "retention/destructions/<int:destruction_id>/approve/",
        retention.destruction_approve_view,
        name="destruction_approve",
    ),
    path(
        "retention/certificates/<int:destruction_id>/",
        retention.destruction_certificate,
        name="destruction_certificate",
    ),
]
