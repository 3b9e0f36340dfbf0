from __future__ import annotations

from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "trustplatform.policies"
    label = "policies"
    verbose_name = "Policy register"
