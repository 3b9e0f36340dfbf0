from collections import Counter
from typing import Any

from django.db import migrations
from django.db.models import Sum

from trustplatform.statistics.monthly import hidden_cells_per_school

FOLLOW = (
    "screened_late",
    "referrals_social_care",
    "referrals_police",
    "referrals_early_help",
    "lado_referrals",
)


def fill_hidden_cells(apps: Any, schema_editor: Any) -> None:
    """Each school month's hidden year-group and category cells, and how many schools hide each
    cell of the trust's months, so the trust's pages hide them before the nightly rebuild."""
    concern_rollup = apps.get_model("statistics", "ConcernRollup")
    category_rollup = apps.get_model("statistics", "CategoryRollup")
    school_month_rollup = apps.get_model("statistics", "SchoolMonthRollup")
    trust_concern_rollup = apps.get_model("statistics", "TrustConcernRollup")
    trust_category_rollup = apps.get_model("statistics", "TrustCategoryRollup")
    hidden = hidden_cells_per_school(
        concern_rows=concern_rollup.objects.values("school_id", "month", "year_group")
        .annotate(n=Sum("concerns"), **{f"sum_{f}": Sum(f) for f in FOLLOW})
        .order_by(),
        category_rows=category_rollup.objects.values("school_id", "month", "category_code")
        .annotate(n=Sum("concerns"))
        .order_by(),
        follow=FOLLOW,
    )
    hiding_years: Counter[tuple[int, Any, int]] = Counter()
    hiding_codes: Counter[tuple[int, Any, str]] = Counter()
    for (school_id, month), (year_groups, codes) in hidden.items():
        if not year_groups and not codes:
            continue
        row = school_month_rollup.objects.filter(school_id=school_id, month=month).first()
        if row is None:
            continue
        row.hidden_year_groups, row.hidden_categories = year_groups, codes
        row.save(update_fields=["hidden_year_groups", "hidden_categories"])
        hiding_years.update((row.trust_id, month, y) for y in year_groups)
        hiding_codes.update((row.trust_id, month, c) for c in codes)
    for (trust_id, month, year_group), n in hiding_years.items():
        trust_concern_rollup.objects.filter(
            trust_id=trust_id, month=month, year_group=year_group
        ).update(schools_hiding=n)
    for (trust_id, month, code), n in hiding_codes.items():
        trust_category_rollup.objects.filter(
            trust_id=trust_id, month=month, category_code=code
        ).update(schools_hiding=n)


class Migration(migrations.Migration):
    dependencies = [
        ("statistics", "0006_schools_hiding_cells"),
    ]

    operations = [
        migrations.RunPython(fill_hidden_cells, migrations.RunPython.noop),
    ]
