"""URLs of a school's subdomain. Every view here runs inside that school's schema."""

from __future__ import annotations

from django.urls import include, path

from trustplatform import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("accounts/", include("trustplatform.accounts.urls")),
    path("staff/", include("trustplatform.accounts.urls_school")),
    path("statistics/", include("trustplatform.statistics.urls_school")),
    path("policies/", include("trustplatform.policies.urls_school")),
    path("calendar/", include("trustplatform.schooldays.urls_school")),
    path("transfers/", include("trustplatform.transfers.urls_school")),
    path("api/", include("safeguarding.urls.api")),
    path("", include("safeguarding.urls")),
]

# Also for the database out of reach: a 503 page that needs no database (trustplatform/views.py).
handler500 = "trustplatform.views.server_error"
