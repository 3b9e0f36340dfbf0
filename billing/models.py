"""Plans, price bands, subscriptions and invoices of trusts. Public schema; no child data."""
