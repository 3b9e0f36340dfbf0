from __future__ import annotations

from django.db import migrations

ENCOMPASS = "operation-encompass"
PARENT = "domestic-abuse"


def create_encompass_category(apps, schema_editor):
    # A restricted category under "Domestic abuse": a police notification is seen on a need-to-know
    # basis only (docs/rules.md, "Operation Encompass"); its code counts notifications in the
    # trust statistics.
    Category = apps.get_model("safeguarding", "Category")
    parent = Category.objects.filter(code=PARENT).first()
    category, created = Category.objects.get_or_create(
        code=ENCOMPASS,
        defaults={
            "name": "Operation Encompass notification",
            "colour": "#6f72af",
            "sensitivity": "restricted",
            "guidance": (
                "A police notification that a child was present at, or involved in, a "
                "domestic-abuse incident. Recorded by the DSL or a deputy and acted on before the "
                "start of the next school day; seen by the DSL, deputies and headteacher only."
            ),
            "position": parent.position if parent else 0,
            "parent": parent,
        },
    )
    if not created and category.parent_id is None and parent is not None:
        category.parent = parent
        category.save(update_fields=["parent"])


class Migration(migrations.Migration):
    dependencies = [("safeguarding", "0021_draft_marks")]

    operations = [migrations.RunPython(create_encompass_category, migrations.RunPython.noop)]
