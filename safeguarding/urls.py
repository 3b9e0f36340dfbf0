from __future__ import annotations

from django.urls import path

from safeguarding import views

app_name = "safeguarding"

urlpatterns = [
    path("", views.school_home, name="home"),
    path("guidance/", views.category_guidance, name="category_guidance"),
    path("access-log/", views.access_log, name="access_log"),
]
