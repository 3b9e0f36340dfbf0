"""URLs of the root domain: the public site, the trust portal, the operator's admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from trustplatform import views

urlpatterns = [
    path("", views.public_home, name="public_home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("accounts/", include("trustplatform.accounts.urls")),
    path("portal/statistics/", include("trustplatform.statistics.urls")),
    path("portal/policies/", include("trustplatform.policies.urls")),
    path("portal/term-dates/", include("trustplatform.schooldays.urls")),
    path("portal/billing/", include("billing.urls")),
    path("portal/", include("trustplatform.portal.urls")),
    path("api/", include("trustplatform.statistics.urls_api")),
    path("admin/", admin.site.urls),
]

# Also for the database out of reach: a 503 page that needs no database (trustplatform/views.py).
handler500 = "trustplatform.views.server_error"
