"""Email that must not be lost: rows written in the sender's transaction, sent by a worker.

See docs/outbox.md.
"""
