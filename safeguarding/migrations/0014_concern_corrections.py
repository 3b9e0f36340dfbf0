"""Who corrected a concern, and when: a correction is a new version (docs/rules.md, "Corrections")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("safeguarding", "0013_allegation_columns_become_versions"),
    ]

    operations = [
        migrations.AddField(
            model_name="concern",
            name="corrected_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="concern",
            name="corrected_by_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="concern",
            name="corrected_by_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="concern",
            name="corrected_by_role",
            field=models.CharField(blank=True, max_length=30),
        ),
        migrations.AddConstraint(
            model_name="concern",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("supersedes__isnull", True),
                    models.Q(
                        models.Q(("correction_reason", ""), _negated=True),
                        ("corrected_at__isnull", False),
                        ("corrected_by_id__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="concern_correction_needs_reason",
            ),
        ),
    ]
