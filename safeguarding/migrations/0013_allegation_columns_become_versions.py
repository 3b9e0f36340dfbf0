"""The allegation's old in-place columns go (now versions), and the records become fixed.

Versions are append-only, like the chronology; an allegation's recorded facts are fixed, and
only the column the LADO chase sets once may change.
"""

from django.db import migrations

FORWARD = """
CREATE TRIGGER safeguarding_allegationversion_append_only BEFORE UPDATE OR DELETE
    ON safeguarding_allegationversion FOR EACH ROW EXECUTE FUNCTION public.refuse_audit_change();
CREATE TRIGGER safeguarding_allegationversion_no_truncate BEFORE TRUNCATE
    ON safeguarding_allegationversion FOR EACH STATEMENT
    EXECUTE FUNCTION public.refuse_audit_change();
CREATE TRIGGER safeguarding_allegation_content_fixed BEFORE UPDATE OR DELETE
    ON safeguarding_allegation FOR EACH ROW
    EXECUTE FUNCTION public.refuse_content_change('lado_escalated_at');
"""
BACKWARD = """
DROP TRIGGER safeguarding_allegationversion_append_only ON safeguarding_allegationversion;
DROP TRIGGER safeguarding_allegationversion_no_truncate ON safeguarding_allegationversion;
DROP TRIGGER safeguarding_allegation_content_fixed ON safeguarding_allegation;
"""


class Migration(migrations.Migration):
    dependencies = [("safeguarding", "0012_allegation_versions_from_columns")]

    operations = [
        migrations.RemoveField(
            model_name="allegation",
            name="lado_reference",
        ),
        migrations.RemoveField(
            model_name="allegation",
            name="lado_referred_at",
        ),
        migrations.RemoveField(
            model_name="allegation",
            name="notes",
        ),
        migrations.RemoveField(
            model_name="allegation",
            name="outcome",
        ),
        migrations.RemoveField(
            model_name="allegation",
            name="outcome_recorded_at",
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
