from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "trustplatform.portal"
    label = "portal"
    verbose_name = "Trust portal"
