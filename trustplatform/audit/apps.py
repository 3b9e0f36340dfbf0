from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "trustplatform.audit"
    label = "audit"
    verbose_name = "Platform audit log"
