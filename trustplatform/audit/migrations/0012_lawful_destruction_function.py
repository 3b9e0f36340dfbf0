"""The one path that may change append-only rows: the lawful destruction of a pupil's record at
the end of its retention, approved by a second person (docs/rules.md, "Retention").

`public.safeguarding_destroy_record(destruction_id)` works on the school whose schema is first on
the caller's search_path (one function for every school: a school's schema is cloned from the
template table by table, without functions). It is run through the owner's connection only:
switching a trigger off is for a table's owner, so the application's role cannot call it to any
effect, and EXECUTE is revoked from everyone else. The append-only triggers are switched off
inside the function's own transaction and on again before it returns, so no other session ever
sees a table without them (ALTER TABLE holds its lock until commit).

Chronology rows stay, as tombstones keeping their hashes: the school's chain runs through every
pupil's entries, so removing one would break another child's link. Their content is erased; the
certificate (safeguarding_destruction) lists their ids, and verify_chronology checks a tombstone
by its link alone.
"""

from django.db import migrations

ERASE = """
    -- Tombstones: who wrote and when stay (staff, not the child); what was written goes. A text
    -- that was filled in says "(destroyed)", so the tables' checks that it is filled still hold.
    UPDATE safeguarding_chronologyentry
        SET {chronology}, details = '{{}}'
        WHERE id = ANY (v_entries);
    UPDATE safeguarding_concern
        SET {concern}, body_map = '[]'
        WHERE id = ANY (v_concerns);
    UPDATE safeguarding_action
        SET {action}
        WHERE concern_id = ANY (v_concerns);
    UPDATE safeguarding_document
        SET file = '', {document}
        WHERE id = ANY (v_documents);
    UPDATE safeguarding_disclosure
        SET {disclosure}
        WHERE id = ANY (v_disclosures);
    UPDATE safeguarding_exportjob
        SET file = '', status = 'expired', filters = '{{}}', error = ''
        WHERE id = ANY (v_exports);
"""

FUNCTION_TEMPLATE = r"""
CREATE FUNCTION public.safeguarding_destroy_record(p_destruction bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    d record;
    v_pupil bigint;
    v_entries bigint[];
    v_concerns bigint[];
    v_shared_concerns bigint[];
    v_documents bigint[];
    v_disclosures bigint[];
    v_exports bigint[];
    v_files jsonb;
    v_counts jsonb;
    v_ids jsonb;
BEGIN
    IF current_schema() IS NULL OR current_schema() NOT LIKE 'school\_%' THEN
        RAISE EXCEPTION 'destruction runs inside a school''s schema, not %', current_schema();
    END IF;
    SELECT * INTO d FROM safeguarding_destruction WHERE id = p_destruction FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no destruction %', p_destruction;
    END IF;
    -- The rules the services check, checked again where the erasing happens.
    IF d.status <> 'approved' OR d.approved_by_id IS NULL
            OR d.approved_by_id = d.proposed_by_id THEN
        RAISE EXCEPTION 'destruction % is not approved by a second person', p_destruction;
    END IF;
    v_pupil := d.pupil_id;
    IF EXISTS (SELECT 1 FROM safeguarding_legalhold
               WHERE pupil_id = v_pupil AND lifted_at IS NULL) THEN
        RAISE EXCEPTION 'a legal hold stands on this record';
    END IF;

    SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_entries
        FROM safeguarding_chronologyentry WHERE pupil_id = v_pupil;
    -- A concern about this child alone is erased; one about other children too stays, as it is
    -- their record as well (this child's chronology entries about it are erased all the same).
    SELECT coalesce(array_agg(c ORDER BY c), '{}') INTO v_concerns FROM (
        SELECT concern_id AS c FROM safeguarding_concern_pupils
        GROUP BY concern_id HAVING bool_and(pupil_id = v_pupil)) only_this;
    SELECT coalesce(array_agg(DISTINCT concern_id ORDER BY concern_id), '{}')
        INTO v_shared_concerns FROM safeguarding_concern_pupils
        WHERE pupil_id = v_pupil AND NOT (concern_id = ANY (v_concerns));
    SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_documents
        FROM safeguarding_document WHERE pupil_id = v_pupil;
    SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_disclosures
        FROM safeguarding_disclosure WHERE pupil_id = v_pupil;
    SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_exports
        FROM safeguarding_exportjob WHERE pupil_id = v_pupil;
    SELECT coalesce(jsonb_agg(f), '[]') INTO v_files FROM (
        SELECT file AS f FROM safeguarding_document WHERE pupil_id = v_pupil AND file <> ''
        UNION ALL
        SELECT file FROM safeguarding_exportjob WHERE pupil_id = v_pupil AND file <> '') files;

    ALTER TABLE safeguarding_chronologyentry
        DISABLE TRIGGER safeguarding_chronologyentry_append_only;
    ALTER TABLE safeguarding_concern DISABLE TRIGGER safeguarding_concern_content_fixed;
    ALTER TABLE safeguarding_document DISABLE TRIGGER safeguarding_document_append_only;
    ALTER TABLE safeguarding_disclosure DISABLE TRIGGER safeguarding_disclosure_request_fixed;

@@ERASE@@    DELETE FROM safeguarding_familylink WHERE pupil_id = v_pupil OR relative_id = v_pupil;
    -- The pupil row stays (the chronology's rows point at it), naming nobody.
    UPDATE safeguarding_pupil
        SET upn = 'D' || lpad(id::text, 12, '0'), legal_first_name = 'Record',
            legal_last_name = 'destroyed', preferred_first_name = '', preferred_last_name = '',
            date_of_birth = make_date(extract(year FROM date_of_birth)::int, 1, 1), form = ''
        WHERE id = v_pupil;

    ALTER TABLE safeguarding_chronologyentry
        ENABLE TRIGGER safeguarding_chronologyentry_append_only;
    ALTER TABLE safeguarding_concern ENABLE TRIGGER safeguarding_concern_content_fixed;
    ALTER TABLE safeguarding_document ENABLE TRIGGER safeguarding_document_append_only;
    ALTER TABLE safeguarding_disclosure ENABLE TRIGGER safeguarding_disclosure_request_fixed;

    v_ids := jsonb_build_object(
        'chronology_entries', to_jsonb(v_entries), 'concerns', to_jsonb(v_concerns),
        'concerns_kept_shared', to_jsonb(v_shared_concerns),
        'documents', to_jsonb(v_documents), 'disclosures', to_jsonb(v_disclosures),
        'exports', to_jsonb(v_exports));
    v_counts := jsonb_build_object(
        'chronology_entries', cardinality(v_entries), 'concerns', cardinality(v_concerns),
        'concerns_kept_shared', cardinality(v_shared_concerns),
        'documents', cardinality(v_documents), 'disclosures', cardinality(v_disclosures),
        'exports', cardinality(v_exports), 'files', jsonb_array_length(v_files));
    UPDATE safeguarding_destruction
        SET status = 'destroyed', destroyed_at = now(), counts = v_counts, record_ids = v_ids
        WHERE id = p_destruction;
    RETURN v_files;
END
$$;
REVOKE ALL ON FUNCTION public.safeguarding_destroy_record(bigint) FROM PUBLIC;
"""

# The text columns erased, table by table: everything written about the child.
ERASED = {
    "chronology": ("title", "body", "backdate_reason", "correction_reason"),
    "concern": (
        "account",
        "action_taken",
        "location",
        "backdate_reason",
        "correction_reason",
        "original_author_name",
        "level_rationale",
        "next_steps",
        "closure_summary",
    ),
    "action": ("description", "decision_rationale", "outcome"),
    "document": ("original_name", "overview"),
    "disclosure": (
        "requested_by",
        "request_summary",
        "decision_notes",
        "lawful_basis_other",
        "shared_summary",
        "child_informed_by",
        "child_not_informed_reason",
    ),
}


def _erase(columns: tuple[str, ...]) -> str:
    return ", ".join(f"{c} = CASE WHEN {c} = '' THEN '' ELSE '(destroyed)' END" for c in columns)


FUNCTION = FUNCTION_TEMPLATE.replace(
    "@@ERASE@@", ERASE.format(**{name: _erase(cols) for name, cols in ERASED.items()})
)


class Migration(migrations.Migration):
    dependencies = [("audit", "0011_action_choices_kept_in_code")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION public.safeguarding_destroy_record(bigint);"),
    ]
