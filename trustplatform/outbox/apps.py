from __future__ import annotations

from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "trustplatform.outbox"
    label = "outbox"
    verbose_name = "Outbox"
