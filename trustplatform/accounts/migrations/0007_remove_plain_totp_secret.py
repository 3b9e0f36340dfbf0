from django.db import migrations, models


class Migration(migrations.Migration):
    """The plain-text secret column goes; one recovery code per lookup id and user."""

    dependencies = [
        ("accounts", "0006_encrypt_totp_secrets"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="user",
            name="totp_secret",
        ),
        migrations.AddConstraint(
            model_name="recoverycode",
            constraint=models.UniqueConstraint(
                fields=("user", "lookup"), name="recovery_code_lookup_unique"
            ),
        ),
    ]
