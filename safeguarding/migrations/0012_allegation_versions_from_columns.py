"""Each allegation's LADO referral, outcome and notes, as its first version.

Recorded as the system: who entered them before versions were kept is not known.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    allegation_model = apps.get_model("safeguarding", "Allegation")
    version_model = apps.get_model("safeguarding", "AllegationVersion")
    for allegation in allegation_model.objects.all():
        if not (allegation.lado_referred_at or allegation.outcome or allegation.notes):
            continue
        version_model.objects.create(
            allegation=allegation,
            lado_referred_at=allegation.lado_referred_at,
            lado_reference=allegation.lado_reference,
            outcome=allegation.outcome,
            notes=allegation.notes,
            recorded_at=allegation.outcome_recorded_at
            or allegation.lado_referred_at
            or allegation.created_at,
            recorded_by_id=0,
            recorded_by_name="Recorded before versions were kept",
            recorded_by_role="system",
        )


class Migration(migrations.Migration):
    dependencies = [("safeguarding", "0011_allegation_versions")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
