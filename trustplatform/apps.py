from __future__ import annotations

from django.apps import AppConfig


class TrustPlatformConfig(AppConfig):
    name = "trustplatform"
    verbose_name = "Trust platform"
