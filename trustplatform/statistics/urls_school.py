"""A school's own statistics on its site (statistics/)."""

from __future__ import annotations

from django.urls import path

from trustplatform.statistics import views

app_name = "school_statistics"

urlpatterns = [path("", views.school_dashboard, name="page")]
