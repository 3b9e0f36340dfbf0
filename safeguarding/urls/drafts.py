"""Drafts of long forms: their author's only (docs/security.md, "Drafts")."""

from __future__ import annotations

from django.urls import URLPattern, path

from safeguarding.views import drafts

urlpatterns: list[URLPattern] = [
    path("drafts/<str:form>/<int:record_id>/", drafts.draft, name="draft"),
    path("drafts/<str:form>/<int:record_id>/discard/", drafts.draft_delete, name="draft_discard"),
]
