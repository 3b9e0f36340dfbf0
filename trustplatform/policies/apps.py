from __future__ import annotations

from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "trustplatform.policies"
    label = "policies"
    verbose_name = "Policy register"

    def ready(self) -> None:
        # Registers the reminder email with the outbox, in every process that sends it.
        from trustplatform.policies import services  # noqa: F401, PLC0415
