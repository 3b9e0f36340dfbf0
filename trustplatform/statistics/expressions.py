"""Query expressions shared by the refresh that writes the trust's rows and the pages that read
them, so that both decide "small" and "most in need" alike (docs/rules.md, "Trust statistics")."""

from __future__ import annotations

from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce

from trustplatform.statistics.suppression import LARGEST_SUPPRESSED, SMALLEST_SUPPRESSED

# How many of the schools most in need of attention the trust's snapshot keeps in order: as many
# as the dashboard shows.
SCHOOLS_RANKED = 10
# What orders the schools most in need of attention, most urgent first.
NEED_FIELDS = ("unscreened_over_24h", "overdue_actions", "open_cases")


def small(field: str) -> Q:
    """A count of 1 to 5: published as "c" (docs/rules.md, "Small numbers in statistics")."""
    return Q(**{f"{field}__range": (SMALLEST_SUPPRESSED, LARGEST_SUPPRESSED)})


def need_ranking() -> dict[str, Case]:
    """Each need figure of a school as published (a hidden count ranks as 1, never as itself),
    to annotate on `School` rows: the order tells nothing the published cells do not."""
    return {
        f"need_{f}": Case(
            When(small(f"snapshot__{f}"), then=Value(1)),
            default=Coalesce(F(f"snapshot__{f}"), Value(0), output_field=IntegerField()),
            output_field=IntegerField(),
        )
        for f in NEED_FIELDS
    }
