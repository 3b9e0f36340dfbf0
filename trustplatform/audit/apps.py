from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "trustplatform.audit"
    label = "audit"
    verbose_name = "Platform audit log"

    def ready(self) -> None:
        # Connects the auth signal receivers, and registers the outbox email that pages the
        # operator about a broken chain; importing the modules at the top would load models
        # before the app registry is ready.
        from trustplatform.audit import heads, signals  # noqa: F401, PLC0415
