"""Writes to a school's records, one module per area. Runs inside the school's schema: code here
never filters by school."""
