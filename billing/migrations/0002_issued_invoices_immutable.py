"""The database itself refuses to change an issued invoice's amounts or lines, or to delete them.

Only the status and the payment (date, BACS reference) of an invoice may change; a mistake is
corrected by a credit note (docs/billing.md). At each commit, an invoice's net total must equal
the sum of its lines: a line added to an invoice issued earlier fails that check.
"""

from django.db import migrations

FUNCTIONS = """
CREATE FUNCTION public.billing_refuse_invoice_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'DELETE on %.% refused: issued invoices are kept', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING HINT = 'Correct an invoice with a credit note.';
    END IF;
    IF (NEW.id, NEW.subscription_id, NEW.trust_id, NEW.kind, NEW.reason, NEW.number,
        NEW.issued_on, NEW.due_on, NEW.term_starts_on, NEW.term_ends_on, NEW.billing_name,
        NEW.billing_address, NEW.net_total, NEW.vat_rate, NEW.vat, NEW.total, NEW.credits_id,
        NEW.renewal_of_term, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.subscription_id, OLD.trust_id, OLD.kind, OLD.reason, OLD.number,
        OLD.issued_on, OLD.due_on, OLD.term_starts_on, OLD.term_ends_on, OLD.billing_name,
        OLD.billing_address, OLD.net_total, OLD.vat_rate, OLD.vat, OLD.total, OLD.credits_id,
        OLD.renewal_of_term, OLD.created_at) THEN
        RAISE EXCEPTION 'UPDATE of issued invoice % refused: only its status and payment change', OLD.id
            USING HINT = 'Correct an invoice with a credit note.';
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION public.billing_refuse_line_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on %.% refused: the lines of an issued invoice never change',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING HINT = 'Correct an invoice with a credit note.';
END
$$;

CREATE FUNCTION public.billing_check_invoice_net() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    lines_sum numeric;
    net numeric;
BEGIN
    SELECT net_total INTO net FROM billing_invoice WHERE id = NEW.invoice_id;
    SELECT COALESCE(SUM(amount), 0) INTO lines_sum FROM billing_invoiceline
        WHERE invoice_id = NEW.invoice_id;
    IF net IS DISTINCT FROM lines_sum THEN
        RAISE EXCEPTION 'invoice %: net total % is not the sum of its lines %',
            NEW.invoice_id, net, lines_sum;
    END IF;
    RETURN NULL;
END
$$;
"""

TRIGGERS = """
CREATE TRIGGER billing_invoice_issued
    BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION public.billing_refuse_invoice_change();
CREATE TRIGGER billing_invoice_no_truncate
    BEFORE TRUNCATE ON billing_invoice
    FOR EACH STATEMENT EXECUTE FUNCTION public.billing_refuse_line_change();
CREATE TRIGGER billing_invoiceline_issued
    BEFORE UPDATE OR DELETE ON billing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION public.billing_refuse_line_change();
CREATE TRIGGER billing_invoiceline_no_truncate
    BEFORE TRUNCATE ON billing_invoiceline
    FOR EACH STATEMENT EXECUTE FUNCTION public.billing_refuse_line_change();
CREATE CONSTRAINT TRIGGER billing_invoiceline_adds_up
    AFTER INSERT ON billing_invoiceline DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION public.billing_check_invoice_net();
"""

DROP = """
DROP TRIGGER billing_invoiceline_adds_up ON billing_invoiceline;
DROP TRIGGER billing_invoiceline_no_truncate ON billing_invoiceline;
DROP TRIGGER billing_invoiceline_issued ON billing_invoiceline;
DROP TRIGGER billing_invoice_no_truncate ON billing_invoice;
DROP TRIGGER billing_invoice_issued ON billing_invoice;
DROP FUNCTION public.billing_check_invoice_net();
DROP FUNCTION public.billing_refuse_line_change();
DROP FUNCTION public.billing_refuse_invoice_change();
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_subscriptions_and_invoices")]

    operations = [migrations.RunSQL(FUNCTIONS + TRIGGERS, DROP)]
