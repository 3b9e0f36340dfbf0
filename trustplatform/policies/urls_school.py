"""The policy register of a school (policies/ on its site)."""

from __future__ import annotations

from django.urls import path

from trustplatform.policies import views

app_name = "policies"

urlpatterns = [
    path("", views.register, name="register"),
    path("new/", views.policy_new, name="new"),
    path("<int:policy_id>/", views.policy_detail, name="detail"),
    path("<int:policy_id>/edit/", views.policy_edit, name="edit"),
    path("<int:policy_id>/review/", views.policy_review, name="review"),
    path("<int:policy_id>/document/", views.policy_document, name="document"),
]
