"""The database refuses to change or remove what was recorded
(docs/rules.md, "Append-only records").

Chronology entries and the links of a concern to its pupils and categories are append-only, like
the access log. A concern's recorded content is fixed; only the columns of its case as it moves
on (status, level, screening, closure, escalation) may change, through the services.
"""

from django.db import migrations

APPEND_ONLY = (
    "safeguarding_chronologyentry",
    "safeguarding_concern_pupils",
    "safeguarding_concern_categories",
)
CASE_COLUMNS = (
    "status",
    "level",
    "level_rationale",
    "next_steps",
    "screened_at",
    "screened_by_id",
    "screened_by_name",
    "closed_at",
    "closure_summary",
    "escalated_at",
)


def _append_only(table: str) -> str:
    return f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION public.refuse_audit_change();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_audit_change();
"""


FORWARD = "".join(_append_only(t) for t in APPEND_ONLY) + (
    "CREATE TRIGGER safeguarding_concern_content_fixed BEFORE UPDATE OR DELETE "
    "ON safeguarding_concern FOR EACH ROW EXECUTE FUNCTION public.refuse_content_change("
    + ", ".join(f"'{c}'" for c in CASE_COLUMNS)
    + ");"
    "CREATE TRIGGER safeguarding_concern_no_truncate BEFORE TRUNCATE ON safeguarding_concern "
    "FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_audit_change();"
)
BACKWARD = "".join(
    f"DROP TRIGGER {t}_append_only ON {t}; DROP TRIGGER {t}_no_truncate ON {t};"
    for t in APPEND_ONLY
) + (
    "DROP TRIGGER safeguarding_concern_content_fixed ON safeguarding_concern;"
    "DROP TRIGGER safeguarding_concern_no_truncate ON safeguarding_concern;"
)


class Migration(migrations.Migration):
    dependencies = [
        ("safeguarding", "0006_pupils_concerns_chronology"),
        ("audit", "0003_guard_recorded_content"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
