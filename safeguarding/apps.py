from __future__ import annotations

from django.apps import AppConfig


class SafeguardingConfig(AppConfig):
    name = "safeguarding"
    verbose_name = "Safeguarding records"

    def ready(self) -> None:
        # Registers the alert email with the outbox, in every process that sends it.
        from safeguarding.services import alerts  # noqa: F401, PLC0415
