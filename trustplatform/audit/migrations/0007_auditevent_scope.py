"""The audit log gains a scope column: which hash chain each event belongs to (docs/security.md,
"Audit chains"). Existing rows are given their scope by the next migration."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_grant_refused_and_dsl_handover_actions")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="scope",
            # Added with an empty value (a new column's default touches no row, so the
            # append-only trigger is not involved); 0006 fills it in.
            field=models.CharField(default="", editable=False, max_length=40),
            preserve_default=False,
        ),
    ]
