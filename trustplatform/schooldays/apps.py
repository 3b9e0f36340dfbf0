from __future__ import annotations

from django.apps import AppConfig


class SchoolDaysConfig(AppConfig):
    name = "trustplatform.schooldays"
    label = "schooldays"
    verbose_name = "School calendar"
