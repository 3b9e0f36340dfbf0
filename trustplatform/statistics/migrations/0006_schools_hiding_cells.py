import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("statistics", "0005_school_month_rollup"),
    ]

    operations = [
        migrations.AddField(
            model_name="schoolmonthrollup",
            name="hidden_year_groups",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.SmallIntegerField(), blank=True, default=list, size=None
            ),
        ),
        migrations.AddField(
            model_name="schoolmonthrollup",
            name="hidden_categories",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=50), blank=True, default=list, size=None
            ),
        ),
        migrations.AddField(
            model_name="trustconcernrollup",
            name="schools_hiding",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="trustcategoryrollup",
            name="schools_hiding",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
