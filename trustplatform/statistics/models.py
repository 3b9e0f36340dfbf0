"""Trust statistics: counts per school, rolled up from each school's schema. Never identities."""

from __future__ import annotations

from django.db import models


class SchoolSnapshot(models.Model):
    """Current counts of one school, refreshed from its schema by the rollup."""

    school = models.OneToOneField(
        "tenants.School", on_delete=models.CASCADE, related_name="snapshot"
    )
    pupils_on_roll = models.PositiveIntegerField(default=0)
    open_cases = models.PositiveIntegerField(default=0)
    overdue_actions = models.PositiveIntegerField(default=0)
    unscreened_over_24h = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"snapshot of school {self.school_id}"
