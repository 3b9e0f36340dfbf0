from typing import Any

from django.db import migrations
from django.db.models import Count, Min, Q, Sum

from trustplatform.statistics.expressions import NEED_FIELDS, SCHOOLS_RANKED, need_ranking, small

MEASURES = (
    "concerns",
    "screened_late",
    "referrals_social_care",
    "referrals_police",
    "referrals_early_help",
    "lado_referrals",
)
FIGURES = ("open_cases", "overdue_actions", "unscreened_over_24h")


def fill_trust_rows(apps: Any, schema_editor: Any) -> None:
    """Each trust's month rows and snapshot from its schools' rows (as `trust_rollup_rewrite`
    writes them), so the dashboard shows the same figures before the nightly rebuild."""
    trust_model = apps.get_model("tenants", "Trust")
    school_model = apps.get_model("tenants", "School")
    school_month_rollup = apps.get_model("statistics", "SchoolMonthRollup")
    school_snapshot = apps.get_model("statistics", "SchoolSnapshot")
    trust_month_rollup = apps.get_model("statistics", "TrustMonthRollup")
    trust_snapshot = apps.get_model("statistics", "TrustSnapshot")
    needing = Q()
    for f in NEED_FIELDS:
        needing |= Q(**{f"need_{f}__gt": 0})
    for trust_id in trust_model.objects.values_list("pk", flat=True):
        trust_month_rollup.objects.bulk_create(
            trust_month_rollup(
                trust_id=trust_id,
                month=row["month"],
                **{f"schools_hiding_{f}": row[f"hiding_{f}"] for f in MEASURES},
            )
            for row in school_month_rollup.objects.filter(trust_id=trust_id)
            .values("month")
            .annotate(**{f"hiding_{f}": Count("pk", filter=small(f)) for f in MEASURES})
            .order_by()
        )
        whole = school_snapshot.objects.filter(school__trust_id=trust_id).aggregate(
            pupils=Sum("pupils_on_roll"),
            refreshed_at=Min("refreshed_at"),
            **{f"sum_{f}": Sum(f) for f in FIGURES},
            **{f"hiding_{f}": Count("pk", filter=small(f)) for f in FIGURES},
        )
        ranked = (
            school_model.objects.filter(trust_id=trust_id)
            .annotate(**need_ranking())
            .filter(needing)
            .order_by(*(f"-need_{f}" for f in NEED_FIELDS), "name", "pk")
            .values_list("pk", flat=True)[:SCHOOLS_RANKED]
        )
        trust_snapshot.objects.create(
            trust_id=trust_id,
            pupils_on_roll=whole["pupils"] or 0,
            refreshed_at=whole["refreshed_at"],
            **{f: whole[f"sum_{f}"] or 0 for f in FIGURES},
            **{f"schools_hiding_{f}": whole[f"hiding_{f}"] for f in FIGURES},
            most_in_need=list(ranked),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("statistics", "0008_trust_month_rows_and_snapshot"),
    ]

    operations = [migrations.RunPython(fill_trust_rows, migrations.RunPython.noop)]
