from __future__ import annotations

from django.urls import path

from trustplatform.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.portal_home, name="home"),
    path("schools/<int:school_id>/dsl/", views.school_dsl_assign_view, name="school_dsl"),
]
