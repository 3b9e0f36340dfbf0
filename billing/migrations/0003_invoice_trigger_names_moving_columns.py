"""The invoice trigger names the columns that may move on an issued invoice, as its arguments.

`public.billing_refuse_invoice_change` compares every other column, so a column added later is
fixed too. The application's database role is granted UPDATE of exactly those columns, read
from the trigger (tenants/db_roles.py), and no DELETE on invoices or their lines: the database
refuses by privilege first, and by trigger for the owner (docs/billing.md).
"""

from importlib import import_module

from django.db import migrations

# The function as 0002 made it (it named the fixed columns itself), for going back.
_FIRST = import_module("billing.migrations.0002_issued_invoices_immutable").FUNCTIONS
PREVIOUS_FUNCTION = "CREATE OR REPLACE " + _FIRST.split(
    "CREATE FUNCTION public.billing_refuse_line_change"
)[0].strip().removeprefix("CREATE ")

# Kept in step with billing.models.Invoice.MUTABLE_FIELDS (tests/billing/test_invoice_privileges).
MOVING_COLUMNS = ("status", "paid_on", "payment_reference")

FORWARD = (
    """
CREATE OR REPLACE FUNCTION public.billing_refuse_invoice_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'DELETE on %.% refused: issued invoices are kept', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING HINT = 'Correct an invoice with a credit note.';
    END IF;
    IF (to_jsonb(OLD) - TG_ARGV) IS DISTINCT FROM (to_jsonb(NEW) - TG_ARGV) THEN
        RAISE EXCEPTION 'UPDATE of issued invoice % refused: only its status and payment change', OLD.id
            USING HINT = 'Correct an invoice with a credit note.';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER billing_invoice_issued ON billing_invoice;
CREATE TRIGGER billing_invoice_issued
    BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION public.billing_refuse_invoice_change("""
    + ", ".join(f"'{column}'" for column in MOVING_COLUMNS)
    + ");"
)

BACKWARD = (
    PREVIOUS_FUNCTION
    + """
DROP TRIGGER billing_invoice_issued ON billing_invoice;
CREATE TRIGGER billing_invoice_issued
    BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION public.billing_refuse_invoice_change();
"""
)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_issued_invoices_immutable")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
