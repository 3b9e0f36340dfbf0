"""Events written before the log had scopes form one chain, linked in id order from one genesis:
they all go to the platform scope, where that chain goes on verifying as it was. New events of a
trust, and anonymous sign-in events, start chains of their own.

The append-only trigger is switched off for this one UPDATE, inside the migration's transaction,
and back on before it commits: no other writer ever sees the table without it.
"""

from django.db import migrations

TRIGGER = "audit_auditevent_append_only"


def events_to_platform_scope(apps, schema_editor):  # type: ignore[no-untyped-def]
    AuditEvent = apps.get_model("audit", "AuditEvent")
    table = AuditEvent._meta.db_table
    schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {TRIGGER}")
    AuditEvent.objects.filter(scope="").update(scope="platform")
    schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_auditevent_scope")]

    operations = [
        # No way back needed: 0007's reversal drops the column.
        migrations.RunPython(events_to_platform_scope, migrations.RunPython.noop),
    ]
