"""The database itself refuses to change or remove audit rows.

`public.refuse_audit_change()` is the one trigger function of every append-only table: this
log here, and each school's access log (safeguarding 0004), whose triggers call it in public.
"""

from django.db import migrations

REFUSE_FUNCTION = """
CREATE FUNCTION public.refuse_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on %.% refused: this table is an append-only audit trail',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING HINT = 'Audit rows are never changed or removed; record a new event instead.';
END
$$;
"""

TRIGGERS = """
CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION public.refuse_audit_change();
CREATE TRIGGER audit_auditevent_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_audit_change();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_event")]

    operations = [
        migrations.RunSQL(REFUSE_FUNCTION, "DROP FUNCTION public.refuse_audit_change();"),
        migrations.RunSQL(
            TRIGGERS,
            "DROP TRIGGER audit_auditevent_no_truncate ON audit_auditevent;"
            "DROP TRIGGER audit_auditevent_append_only ON audit_auditevent;",
        ),
    ]
