"""The app config of the operator's Django admin; its site: trustplatform/operator_admin.py."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class OperatorAdminConfig(AdminConfig):
    default_site = "trustplatform.operator_admin.OperatorAdminSite"
