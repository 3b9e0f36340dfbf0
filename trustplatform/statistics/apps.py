from __future__ import annotations

from django.apps import AppConfig


class StatisticsConfig(AppConfig):
    name = "trustplatform.statistics"
    label = "statistics"
    verbose_name = "Trust statistics"
