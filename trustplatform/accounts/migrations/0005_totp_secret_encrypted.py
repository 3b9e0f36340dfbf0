from django.db import migrations, models


class Migration(migrations.Migration):
    """Room for the encrypted TOTP secret and for recovery codes with a lookup id."""

    dependencies = [
        ("accounts", "0004_school_membership_dsl_training_on"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="totp_secret_encrypted",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="recoverycode",
            name="lookup",
            field=models.CharField(default="", max_length=8),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="recoverycode",
            name="code_hash",
            field=models.CharField(max_length=128),
        ),
        migrations.RemoveConstraint(
            model_name="recoverycode",
            name="recovery_code_unique",
        ),
    ]
