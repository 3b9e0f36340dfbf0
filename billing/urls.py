"""The trust's billing on the root domain, under portal/billing/."""

from __future__ import annotations

from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.billing_home, name="home"),
    path("invoices/<int:invoice_id>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:invoice_id>/pdf/", views.invoice_download, name="invoice_pdf"),
    path("schools/<int:school_id>/add/", views.school_add, name="school_add"),
    path("schools/<int:school_id>/remove/", views.school_remove, name="school_remove"),
]
