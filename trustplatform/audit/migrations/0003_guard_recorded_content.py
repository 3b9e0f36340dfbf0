"""A second guard for records whose content is fixed but whose case fields move on.

`public.refuse_content_change('col', ...)` lets an UPDATE through only when every column other
than the named ones is unchanged, and refuses DELETE: a concern's account, author and times can
never be edited in place, while its status, level and screening fields are kept by the services.
"""

from django.db import migrations

FUNCTION = """
CREATE FUNCTION public.refuse_content_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'DELETE on %.% refused: recorded content is never removed',
            TG_TABLE_SCHEMA, TG_TABLE_NAME;
    END IF;
    IF (to_jsonb(OLD) - TG_ARGV) IS DISTINCT FROM (to_jsonb(NEW) - TG_ARGV) THEN
        RAISE EXCEPTION 'UPDATE on %.% refused: recorded content never changes',
            TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING HINT = 'Record a correction that supersedes it instead.';
    END IF;
    RETURN NEW;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION public.refuse_content_change();"),
    ]
