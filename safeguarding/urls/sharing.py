"""The agency directory and the disclosure log (information shared with agencies)."""

from __future__ import annotations

from django.urls import URLPattern, path

from safeguarding.views import sharing

urlpatterns: list[URLPattern] = [
    path("agencies/", sharing.agency_list, name="agency_list"),
    path("agencies/add/", sharing.agency_add, name="agency_add"),
    path("agencies/<int:agency_id>/edit/", sharing.agency_edit, name="agency_edit"),
    path(
        "agencies/<int:agency_id>/contacts/add/",
        sharing.agency_contact_add,
        name="agency_contact_add",
    ),
    path(
        "agencies/contacts/<int:contact_id>/edit/",
        sharing.agency_contact_edit,
        name="agency_contact_edit",
    ),
    path("pupils/<int:pupil_id>/disclosures/", sharing.disclosure_list, name="disclosure_list"),
    path(
        "pupils/<int:pupil_id>/disclosures/new/",
        sharing.disclosure_request,
        name="disclosure_request",
    ),
    path("disclosures/<int:disclosure_id>/", sharing.disclosure_detail, name="disclosure_detail"),
    path(
        "disclosures/<int:disclosure_id>/decide/",
        sharing.disclosure_decision,
        name="disclosure_decide",
    ),
    path(
        "disclosures/<int:disclosure_id>/shared/",
        sharing.disclosure_sharing,
        name="disclosure_shared",
    ),
    path(
        "disclosures/<int:disclosure_id>/child-informed/",
        sharing.disclosure_child_informed,
        name="disclosure_child_informed",
    ),
]
