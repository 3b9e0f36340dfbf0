"""The database refuses to change or remove documents, the documents issued, and requests.

A document (its row; the file is never rewritten either) and the list of documents issued in a
disclosure are append-only, like the chronology. A disclosure's request is fixed once recorded;
only the columns of its later steps may be filled in (by the services, once each).
"""

from django.db import migrations

APPEND_ONLY = ("safeguarding_document", "safeguarding_disclosure_documents")
# Kept in step with Disclosure.STEP_COLUMNS.
STEP_COLUMNS = (
    "decision",
    "decided_by_id",
    "decided_by_name",
    "decided_by_role",
    "decided_at",
    "decision_notes",
    "lawful_basis",
    "lawful_basis_other",
    "shared_summary",
    "shared_at",
    "shared_via",
    "shared_by_id",
    "shared_by_name",
    "shared_by_role",
    "child_informed",
    "child_informed_at",
    "child_informed_by",
    "child_not_informed_reason",
    "child_recorded_by_id",
    "child_recorded_by_name",
    "child_recorded_by_role",
)


def _append_only(table: str) -> str:
    return f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION public.refuse_audit_change();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_audit_change();
"""


FORWARD = "".join(_append_only(t) for t in APPEND_ONLY) + (
    "CREATE TRIGGER safeguarding_disclosure_request_fixed BEFORE UPDATE OR DELETE "
    "ON safeguarding_disclosure FOR EACH ROW EXECUTE FUNCTION public.refuse_content_change("
    + ", ".join(f"'{c}'" for c in STEP_COLUMNS)
    + ");"
    "CREATE TRIGGER safeguarding_disclosure_no_truncate BEFORE TRUNCATE ON safeguarding_disclosure "
    "FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_audit_change();"
)
BACKWARD = "".join(
    f"DROP TRIGGER {t}_append_only ON {t}; DROP TRIGGER {t}_no_truncate ON {t};"
    for t in APPEND_ONLY
) + (
    "DROP TRIGGER safeguarding_disclosure_request_fixed ON safeguarding_disclosure;"
    "DROP TRIGGER safeguarding_disclosure_no_truncate ON safeguarding_disclosure;"
)


class Migration(migrations.Migration):
    dependencies = [
        ("safeguarding", "0008_documents_agencies_disclosures"),
        ("audit", "0003_guard_recorded_content"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
