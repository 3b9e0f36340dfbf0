"""The database refuses to change or remove a pupil's history or a sync run
(docs/rules.md, "Append-only records").

A sync run is written once, with its counts and the reasons its rows were rejected, when the run
is applied (services/pupil_import.py, `_run_record`), and each change of a field the MIS owns once
as the pupil's history: neither is ever updated afterwards, so both are append-only, like the
chronology. The lawful destruction of a child's record removes that child's history (audit
migration 0014).
"""

from __future__ import annotations

import importlib

from django.db import migrations

# The same triggers as the chronology's.
_append_only = importlib.import_module(
    "safeguarding.migrations.0007_records_append_only"
)._append_only

APPEND_ONLY = ("safeguarding_pupilhistory", "safeguarding_pupilsyncrun")

FORWARD = "".join(_append_only(t) for t in APPEND_ONLY)
BACKWARD = "".join(
    f"DROP TRIGGER {t}_append_only ON {t}; DROP TRIGGER {t}_no_truncate ON {t};"
    for t in APPEND_ONLY
)


class Migration(migrations.Migration):
    dependencies = [
        ("safeguarding", "0030_pupil_mis_id_history_sync_runs"),
        ("audit", "0003_guard_recorded_content"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
