"""Lawful destruction of an allegation record at the end of its retention (the later of the
adult's normal pension age and 10 years from the allegation; docs/rules.md, "Retention"), the
same way as a child's record: approved by a second person, run through the owner's connection.

`public.safeguarding_destroy_allegation(destruction_id)` erases what was written about the
allegation (the allegation, its versions, its concern and that concern's actions) and keeps each
row as a tombstone; allegations are never in a child's chronology, so no chain is touched.

A child's record destroyed before an allegation that names them no longer erases the
allegation's concern: the allegation record is kept for its own, usually longer, period.
"""

from __future__ import annotations

import importlib

from django.db import migrations

_pupils = importlib.import_module("trustplatform.audit.migrations.0012_lawful_destruction_function")
_erase = _pupils._erase
ERASED = _pupils.ERASED

_ONLY_THIS = "GROUP BY concern_id HAVING bool_and(pupil_id = v_pupil)) only_this;"
_ONLY_THIS_NOT_ALLEGATIONS = (
    "WHERE concern_id NOT IN (SELECT concern_id FROM safeguarding_allegation)\n"
    "        GROUP BY concern_id HAVING bool_and(pupil_id = v_pupil)) only_this;"
)
if _ONLY_THIS not in _pupils.FUNCTION:
    raise RuntimeError("the function of migration 0012 no longer reads as expected")
PUPIL_BEFORE = _pupils.FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
PUPIL_AFTER = PUPIL_BEFORE.replace(_ONLY_THIS, _ONLY_THIS_NOT_ALLEGATIONS)

ALLEGATION = r"""
CREATE FUNCTION public.safeguarding_destroy_allegation(p_destruction bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    d record;
    v_allegation bigint;
    v_concern bigint;
    v_versions bigint[];
    v_actions bigint[];
    v_counts jsonb;
    v_ids jsonb;
BEGIN
    IF current_schema() IS NULL OR current_schema() NOT LIKE 'school\_%' THEN
        RAISE EXCEPTION 'destruction runs inside a school''s schema, not %', current_schema();
    END IF;
    SELECT * INTO d FROM safeguarding_destruction WHERE id = p_destruction FOR UPDATE;
    IF NOT FOUND OR d.allegation_id IS NULL THEN
        RAISE EXCEPTION 'no destruction of an allegation %', p_destruction;
    END IF;
    -- The rules the services check, checked again where the erasing happens.
    IF d.status <> 'approved' OR d.approved_by_id IS NULL
            OR d.approved_by_id = d.proposed_by_id THEN
        RAISE EXCEPTION 'destruction % is not approved by a second person', p_destruction;
    END IF;
    v_allegation := d.allegation_id;
    IF EXISTS (SELECT 1 FROM safeguarding_legalhold
               WHERE allegation_id = v_allegation AND lifted_at IS NULL) THEN
        RAISE EXCEPTION 'a legal hold stands on this record';
    END IF;
    SELECT concern_id INTO v_concern FROM safeguarding_allegation WHERE id = v_allegation;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no allegation %', v_allegation;
    END IF;
    SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_versions
        FROM safeguarding_allegationversion WHERE allegation_id = v_allegation;
    SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_actions
        FROM safeguarding_action WHERE concern_id = v_concern;

    ALTER TABLE safeguarding_allegation DISABLE TRIGGER safeguarding_allegation_content_fixed;
    ALTER TABLE safeguarding_allegationversion
        DISABLE TRIGGER safeguarding_allegationversion_append_only;
    ALTER TABLE safeguarding_concern DISABLE TRIGGER safeguarding_concern_content_fixed;

    -- Tombstones: who recorded and when stay (staff acting in their role); what was written,
    -- and who the adult is, go.
    UPDATE safeguarding_allegation
        SET adult_user_id = NULL, adult_name = '(destroyed)', @@ALLEGATION@@
        WHERE id = v_allegation;
    UPDATE safeguarding_allegationversion
        SET adult_date_of_birth = NULL, @@VERSION@@
        WHERE id = ANY (v_versions);
    UPDATE safeguarding_concern
        SET @@CONCERN@@, body_map = '[]'
        WHERE id = v_concern;
    UPDATE safeguarding_action
        SET @@ACTION@@
        WHERE id = ANY (v_actions);

    ALTER TABLE safeguarding_allegation ENABLE TRIGGER safeguarding_allegation_content_fixed;
    ALTER TABLE safeguarding_allegationversion
        ENABLE TRIGGER safeguarding_allegationversion_append_only;
    ALTER TABLE safeguarding_concern ENABLE TRIGGER safeguarding_concern_content_fixed;

    v_ids := jsonb_build_object(
        'allegations', jsonb_build_array(v_allegation), 'concerns', jsonb_build_array(v_concern),
        'allegation_versions', to_jsonb(v_versions), 'actions', to_jsonb(v_actions));
    v_counts := jsonb_build_object(
        'allegations', 1, 'concerns', 1, 'allegation_versions', cardinality(v_versions),
        'actions', cardinality(v_actions), 'files', 0);
    UPDATE safeguarding_destruction
        SET status = 'destroyed', destroyed_at = now(), counts = v_counts, record_ids = v_ids
        WHERE id = p_destruction;
    -- Documents cannot be attached to an allegation: no files to delete.
    RETURN '[]'::jsonb;
END
$$;
REVOKE ALL ON FUNCTION public.safeguarding_destroy_allegation(bigint) FROM PUBLIC;
"""
for _name, _columns in (
    ("ALLEGATION", ("adult_role", "case_manager_name")),
    ("VERSION", ("lado_reference", "notes")),
    ("CONCERN", ERASED["concern"]),
    ("ACTION", ERASED["action"]),
):
    ALLEGATION = ALLEGATION.replace(f"@@{_name}@@", _erase(_columns))


class Migration(migrations.Migration):
    dependencies = [("audit", "0012_lawful_destruction_function")]

    operations = [
        migrations.RunSQL(
            ALLEGATION, "DROP FUNCTION public.safeguarding_destroy_allegation(bigint);"
        ),
        migrations.RunSQL(PUPIL_AFTER, PUPIL_BEFORE),
    ]
