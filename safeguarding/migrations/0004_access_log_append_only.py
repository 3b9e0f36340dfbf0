"""Each school's access log refuses UPDATE, DELETE and TRUNCATE, like the platform audit log.

Runs in every school's schema (and the template's, whose triggers new schools' clones copy);
the table name is unqualified because tenant migrations run with the school's search_path. In the
public schema django-tenants' router skips this app's operations, RunSQL included.
"""

from django.db import migrations

TRIGGERS = """
CREATE TRIGGER safeguarding_accesslogentry_append_only
    BEFORE UPDATE OR DELETE ON safeguarding_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION public.refuse_audit_change();
CREATE TRIGGER safeguarding_accesslogentry_no_truncate
    BEFORE TRUNCATE ON safeguarding_accesslogentry
    FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_audit_change();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("safeguarding", "0003_access_log"),
        # The trigger function lives in public, created there by the audit app.
        ("audit", "0002_append_only_trigger"),
    ]

    operations = [
        migrations.RunSQL(
            TRIGGERS,
            "DROP TRIGGER safeguarding_accesslogentry_no_truncate ON safeguarding_accesslogentry;"
            "DROP TRIGGER safeguarding_accesslogentry_append_only ON safeguarding_accesslogentry;",
        )
    ]
