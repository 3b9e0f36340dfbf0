"""Celery tasks of the audit trails: thin, no arguments, in the public schema."""

from __future__ import annotations

from trustplatform.audit.heads import chain_heads_export, chains_verify_and_page
from trustplatform.celery import app


@app.task(name="audit.chain_heads_export", acks_late=True, soft_time_limit=600, time_limit=660)
def chain_heads_export_task() -> str:
    """Beat, daily: every chain's head to write-once storage; a second run writes a second file."""
    return chain_heads_export()


@app.task(name="audit.chains_verify", acks_late=True, soft_time_limit=3000, time_limit=3300)
def chains_verify_task() -> bool:
    """Beat, nightly: every chain walked and checked against the exported heads; pages the
    operator when one is broken. Safe to run twice (a second failure pages again)."""
    return chains_verify_and_page()
