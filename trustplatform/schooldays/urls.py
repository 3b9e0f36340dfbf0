"""Term dates for every school of the trust (portal/term-dates/ on the root domain)."""

from __future__ import annotations

from django.urls import path

from trustplatform.schooldays import views

app_name = "trust_schooldays"

urlpatterns = [
    path("", views.trust_terms, name="terms"),
]
