"""Every school's policy review dates for the trust (portal/policies/ on the root domain)."""

from __future__ import annotations

from django.urls import path

from trustplatform.policies import views

app_name = "trust_policies"

urlpatterns = [
    path("", views.trust_review_dates, name="review_dates"),
]
