from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0002_school_day_starts_at"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="school",
            name="timezone",
        ),
    ]
