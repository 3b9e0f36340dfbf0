from __future__ import annotations

from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "trustplatform.transfers"
    label = "transfers"
    verbose_name = "Transfers of safeguarding files"

    def ready(self) -> None:
        # Registers the outbox kind of the transfer notices.
        from trustplatform.transfers import services  # noqa: F401, PLC0415
