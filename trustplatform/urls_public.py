"""URLs of the root domain: the public site, the trust portal, the operator's admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from trustplatform import views

urlpatterns = [
    path("", views.public_home, name="public_home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
