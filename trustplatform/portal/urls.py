from __future__ import annotations

from django.urls import path

from trustplatform.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.portal_home, name="home"),
    path("schools/new/", views.school_create, name="school_create"),
    path("schools/<int:school_id>/dsl/", views.school_dsl, name="school_dsl"),
    path("schools/<int:school_id>/domain/", views.school_domain, name="school_domain"),
    path("schools/<int:school_id>/name/", views.school_rename, name="school_rename"),
    path("schools/<int:school_id>/suspend/", views.school_suspend, name="school_suspend"),
    path(
        "schools/<int:school_id>/reactivate/",
        views.school_reactivate,
        name="school_reactivate",
    ),
    path("leads/<int:membership_id>/training/", views.dsl_training, name="dsl_training"),
    path("two-factor/", views.two_factor_people, name="two_factor_people"),
    path("two-factor/<int:user_id>/reset/", views.two_factor_reset, name="two_factor_reset"),
]
