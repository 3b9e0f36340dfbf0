from __future__ import annotations

from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Registers the overdue reminder emails with the outbox, in every process that sends them.
        from billing import services  # noqa: F401, PLC0415
