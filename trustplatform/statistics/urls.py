"""The trust lead's statistics on the root domain (portal/statistics/)."""

from __future__ import annotations

from django.urls import path

from trustplatform.statistics import views

app_name = "trust_statistics"

urlpatterns = [
    path("", views.trust_dashboard, name="dashboard"),
    path("schools/", views.trust_schools, name="schools"),
    path("school/<int:school_id>/", views.trust_school_dashboard, name="school"),
]
