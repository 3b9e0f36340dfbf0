"""The API of a school's site (docs/api.md): /api/v1/…, its OpenAPI schema and docs."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView

from safeguarding.api import views
from safeguarding.api.docs import ApiDocsView

# The schema describes the operations, not itself.
SchemaView = extend_schema_view(get=extend_schema(exclude=True))(SpectacularAPIView)

app_name = "api"

urlpatterns = [
    path("v1/schema/", SchemaView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
    path("v1/pupils/", views.PupilList.as_view(), name="pupil_list"),
    path("v1/pupils/sync/", views.PupilSync.as_view(), name="pupil_sync"),
    path("v1/pupils/<int:pupil_id>/", views.PupilDetail.as_view(), name="pupil_detail"),
    path("v1/pupils/<int:pupil_id>/chronology/", views.Chronology.as_view(), name="chronology"),
    path("v1/categories/", views.CategoryList.as_view(), name="category_list"),
    path("v1/concerns/", views.ConcernList.as_view(), name="concern_list"),
    path(
        "v1/encompass/notifications/",
        views.EncompassNotification.as_view(),
        name="encompass_notification",
    ),
    path("v1/concerns/<int:concern_id>/", views.ConcernDetail.as_view(), name="concern_detail"),
    path("v1/concerns/<int:concern_id>/actions/", views.ActionList.as_view(), name="action_list"),
]
