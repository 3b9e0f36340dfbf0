"""The trust portal's API (docs/api.md, "Trust statistics"): /api/v1/…, its schema and docs."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView

from safeguarding.api.docs import ApiDocsView
from trustplatform.statistics import api

# The schema describes the portal's operations only (not itself, not a school's API).
SchemaView = extend_schema_view(get=extend_schema(exclude=True))(SpectacularAPIView)

app_name = "portal_api"

urlpatterns = [
    path(
        "v1/schema/",
        SchemaView.as_view(
            urlconf="trustplatform.urls_public",
            custom_settings={
                "TITLE": "Trust portal API",
                "DESCRIPTION": "The trust's statistics: see docs/api.md. Every error has the "
                "Error shape.",
                # The signed-in trust lead's session only: a school's API key is refused here
                # (401), so the portal's schema does not offer it.
                "AUTHENTICATION_WHITELIST": ["rest_framework.authentication.SessionAuthentication"],
            },
        ),
        name="schema",
    ),
    path(
        "docs/",
        ApiDocsView.as_view(url_name="portal_api:schema", title="Trust portal API"),
        name="docs",
    ),
    path("v1/statistics/", api.TrustStatistics.as_view(), name="statistics"),
    path(
        "v1/statistics/schools/<int:school_id>/",
        api.SchoolStatistics.as_view(),
        name="school_statistics",
    ),
]
