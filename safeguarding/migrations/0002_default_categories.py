from __future__ import annotations

from django.db import migrations


def create_default_categories(apps, schema_editor):
    from safeguarding.default_categories import DEFAULT_CATEGORIES

    Category = apps.get_model("safeguarding", "Category")
    for position, default in enumerate(DEFAULT_CATEGORIES):
        Category.objects.get_or_create(
            code=default.code,
            defaults={
                "name": default.name,
                "colour": default.colour,
                "sensitivity": default.sensitivity,
                "guidance": default.guidance,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("safeguarding", "0001_initial")]

    operations = [migrations.RunPython(create_default_categories, migrations.RunPython.noop)]
