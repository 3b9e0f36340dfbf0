"""A school's pages. Each area's patterns live in urls/<area>.py, named in this namespace."""

from __future__ import annotations

from django.urls import include, path

from safeguarding.views import home

app_name = "safeguarding"

urlpatterns = [
    path("", home.school_home, name="home"),
    path("guidance/", home.category_guidance, name="category_guidance"),
    path("access-log/", home.access_log, name="access_log"),
    path("access-log/filter/", home.access_log_pupil, name="access_log_pupil"),
    path("", include("safeguarding.urls.concerns")),
    path("", include("safeguarding.urls.chronology")),
    path("", include("safeguarding.urls.pupils")),
    path("", include("safeguarding.urls.documents")),
    path("", include("safeguarding.urls.sharing")),
    path("", include("safeguarding.urls.exports")),
    path("", include("safeguarding.urls.tasks")),
    path("", include("safeguarding.urls.drafts")),
    path("", include("safeguarding.urls.subject_access")),
    path("", include("safeguarding.urls.retention")),
    path("", include("safeguarding.urls.outside_transfers")),
]
