"""The lawful destruction of a child's record removes the child's history of the fields the MIS
owns too (docs/rules.md, "Retention").

A pupil's history (`safeguarding_pupilhistory`) keeps the old and new values of the UPN, the MIS
id, the form, the admission and leaving dates and the SEN, free school meals and like flags: it
names the child, so `public.safeguarding_destroy_record` now deletes the child's rows, with the
table's append-only trigger (safeguarding migration 0031) switched off in the function's own
transaction as for the chronology, and counts them on the certificate. The pupil row's MIS id
goes as its UPN does. The sync runs stay: they keep counts and the reasons rows were rejected,
never a child's details.
"""

from __future__ import annotations

import importlib

from django.db import migrations

from trustplatform.audit.migrations._redefine import edited

_before = importlib.import_module(
    "trustplatform.audit.migrations.0013_lawful_destruction_of_allegations"
)
PUPIL_BEFORE = _before.PUPIL_AFTER


def _after(anchor: str, added: str) -> tuple[str, str]:
    return anchor, anchor + added


# (what 0013's function says, what it says now): each piece must be found exactly once.
_CHANGES = (
    _after("    v_exports bigint[];\n", "    v_history bigint[];\n"),
    _after(
        "DISABLE TRIGGER safeguarding_disclosure_request_fixed;\n",
        "    ALTER TABLE safeguarding_pupilhistory\n"
        "        DISABLE TRIGGER safeguarding_pupilhistory_append_only;\n",
    ),
    _after(
        "WHERE pupil_id = v_pupil OR relative_id = v_pupil;\n",
        "    -- Removed, not tombstoned: no chain runs through the history, and its values\n"
        "    -- name the child (the UPN and MIS id among them). The certificate counts them.\n"
        "    WITH removed AS (\n"
        "        DELETE FROM safeguarding_pupilhistory WHERE pupil_id = v_pupil RETURNING id)\n"
        "    SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_history FROM removed;\n",
    ),
    (
        "form = ''\n        WHERE id = v_pupil;",
        "form = '',\n            mis_id = NULL\n        WHERE id = v_pupil;",
    ),
    _after(
        "ENABLE TRIGGER safeguarding_disclosure_request_fixed;\n",
        "    ALTER TABLE safeguarding_pupilhistory\n"
        "        ENABLE TRIGGER safeguarding_pupilhistory_append_only;\n",
    ),
    _after("'exports', to_jsonb(v_exports)", ", 'pupil_history', to_jsonb(v_history)"),
    _after("'exports', cardinality(v_exports),", " 'pupil_history', cardinality(v_history),"),
)

PUPIL_AFTER = edited(PUPIL_BEFORE, _CHANGES, "0013")


class Migration(migrations.Migration):
    dependencies = [("audit", "0013_lawful_destruction_of_allegations")]

    operations = [migrations.RunSQL(PUPIL_AFTER, PUPIL_BEFORE)]
