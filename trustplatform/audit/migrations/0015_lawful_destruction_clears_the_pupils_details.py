"""The lawful destruction of a child's record leaves a pupil row that tells nothing about the
child beyond their year of birth, sex and year group (docs/rules.md, "Retention").

Before, the row kept the child's flags and their dates (a child-protection plan since a given
day, looked after, child in need, early help), the SEN, EHC plan, EAL, pupil premium, free school
meals and young carer flags, the admission date, and the names of the schools the file moved
between and of the person who moved it: with the year of birth, enough to tell who the child was
and what their record said. `public.safeguarding_destroy_record` now clears them. The leaving
date and the times of a move stay: they keep the row off the roll and read-only, as before.
"""

from __future__ import annotations

import importlib

from django.db import migrations

from trustplatform.audit.migrations._redefine import edited

_before = importlib.import_module(
    "trustplatform.audit.migrations.0014_lawful_destruction_of_pupil_history"
)
PUPIL_BEFORE = _before.PUPIL_AFTER

_OLD = "form = '',\n            mis_id = NULL\n        WHERE id = v_pupil;"
_NEW = (
    "form = '',\n            mis_id = NULL,\n"
    "            admission_date = NULL, sen = false, ehcp = false, eal = false,\n"
    "            pupil_premium = false, free_school_meals = false, young_carer = false,\n"
    "            looked_after = false, looked_after_since = NULL,\n"
    "            child_protection_plan = false, child_protection_plan_since = NULL,\n"
    "            child_in_need_plan = false, child_in_need_plan_since = NULL,\n"
    "            early_help = false, early_help_since = NULL,\n"
    "            transferred_out_to = '', transferred_out_by_name = '',\n"
    "            transferred_in_from = ''\n"
    "        WHERE id = v_pupil;"
)
PUPIL_AFTER = edited(PUPIL_BEFORE, [(_OLD, _NEW)], "0014")


class Migration(migrations.Migration):
    dependencies = [("audit", "0014_lawful_destruction_of_pupil_history")]

    operations = [migrations.RunSQL(PUPIL_AFTER, PUPIL_BEFORE)]
