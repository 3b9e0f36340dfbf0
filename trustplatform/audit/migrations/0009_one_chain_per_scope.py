"""One chain per scope: the predecessor of a row is unique within its scope (each scope starts
from the genesis hash), and the head of a scope's chain is found through an index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0008_existing_events_in_platform_scope")]

    operations = [
        migrations.RemoveConstraint(model_name="auditevent", name="audit_auditevent_one_successor"),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("scope", "prev_hash"), name="audit_auditevent_one_successor_per_scope"
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["scope", "-id"], name="audit_scope_head"),
        ),
    ]
