"""The platform audit log (public schema): who did what, when. Ids and actions only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.utils import timezone

from trustplatform.hashchain import HashChainedModel, chain_constraints

# The chains of the log (docs/security.md, "Audit chains"): one per trust ("trust:<id>"), one for
# the sign-in events of anonymous visitors, one for the platform's own events. Rows written before
# the log had scopes form one chain, kept in the platform scope.
ANONYMOUS_SCOPE = "anonymous"
PLATFORM_SCOPE = "platform"


def trust_scope(trust_id: int) -> str:
    return f"trust:{trust_id}"


class AuditAction(models.TextChoices):
    LOGIN_SUCCEEDED = "login_succeeded", "Logged in"
    LOGIN_FAILED = "login_failed", "Login failed"
    LOCKOUT = "lockout", "Locked out after failed logins"
    LOGOUT = "logout", "Logged out"
    PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset requested"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    INVITATION_SENT = "invitation_sent", "Invitation sent"
    INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
    TOTP_ENROLLED = "totp_enrolled", "Two-factor authentication turned on"
    TOTP_RESET = "totp_reset", "Two-factor authentication reset"
    RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated", "Recovery codes regenerated"
    ROLE_ASSIGNED = "role_assigned", "Role assigned"
    ROLE_CHANGED = "role_changed", "Role changed"
    MEMBERSHIP_REMOVED = "membership_removed", "Membership removed"
    DSL_HANDOVER = "dsl_handover", "DSL role handed over"
    DSL_HANDOVER_REQUESTED = "dsl_handover_requested", "New DSL named, awaiting the school"
    DSL_HANDOVER_DECLINED = "dsl_handover_declined", "New DSL declined by the school"
    GRANT_REFUSED = "grant_refused", "Grant of access refused"
    KEY_HOLDER_ACCESS_CHANGED = "key_holder_access_changed", "Key holder access changed"
    USER_DISABLED = "user_disabled", "User disabled"
    SESSIONS_ENDED = "sessions_ended", "Sessions ended"
    SCHOOL_CREATED = "school_created", "School created"
    SCHOOL_SUSPENDED = "school_suspended", "School suspended"
    SCHOOL_REACTIVATED = "school_reactivated", "School reactivated"
    SCHOOL_DOMAIN_CHANGED = "school_domain_changed", "School domain changed"
    SCHOOL_RENAMED = "school_renamed", "School renamed"
    SCHOOL_RESTORED = "school_restored", "School restored from a backup"
    CHAIN_CHECK_FAILED = "chain_check_failed", "Hash chain check failed"
    DSL_TRAINING_RECORDED = "dsl_training_recorded", "DSL training date recorded"
    TERM_DATES_CHANGED = "term_dates_changed", "Term dates changed"
    CLOSURE_DAY_CHANGED = "closure_day_changed", "Closure day changed"
    SCHOOL_DAY_START_CHANGED = "school_day_start_changed", "Start of the school day changed"
    CASE_MANAGER_NAMED = "case_manager_named", "Case manager for allegations about the head named"
    POLICY_CREATED = "policy_created", "Policy added to the register"
    POLICY_UPDATED = "policy_updated", "Policy details changed"
    POLICY_REVIEW_RECORDED = "policy_review_recorded", "Policy review recorded"
    BILLING_SUBSCRIPTION_STARTED = "billing_subscription_started", "Subscription started"
    BILLING_SCHOOL_ADDED = "billing_school_added", "School added to the subscription"
    BILLING_SCHOOL_REMOVED = "billing_school_removed", "School removed from the subscription"
    BILLING_PAYMENT_RECORDED = "billing_payment_recorded", "Invoice payment recorded"
    BILLING_INVOICE_VOIDED = "billing_invoice_voided", "Invoice voided by a credit note"
    BILLING_INVOICE_REISSUED = "billing_invoice_reissued", "Voided invoice re-issued"
    TRANSFER_STARTED = "transfer_started", "Safeguarding file transfer started"
    TRANSFER_SENT = "transfer_sent", "Safeguarding file sent to another school"
    TRANSFER_RECEIVED = "transfer_received", "Safeguarding file received from another school"
    TRANSFER_REJECTED = "transfer_rejected", "Safeguarding file transfer rejected"
    TRANSFER_OVERDUE = "transfer_overdue", "Safeguarding file transfer overdue"
    API_KEY_CREATED = "api_key_created", "API key created"
    API_KEY_REVOKED = "api_key_revoked", "API key revoked"
    API_KEY_USED = "api_key_used", "API key used"
    LEGAL_HOLD_PLACED = "legal_hold_placed", "Legal hold placed on a record"
    LEGAL_HOLD_LIFTED = "legal_hold_lifted", "Legal hold lifted"
    RETENTION_REVIEWED = "retention_reviewed", "Record kept after its retention review"
    RECORD_DESTRUCTION_PROPOSED = "record_destruction_proposed", "Destruction of a record proposed"
    RECORD_DESTROYED = "record_destroyed", "Destruction of a record approved and carried out"


class AuditActionField(models.CharField):
    """The action's column: its choices live in AuditAction, not in migrations.

    Every new action would otherwise be a migration repeating the whole list, with nothing for
    the database to do (choices are not a database constraint); audit_record checks the value.
    """

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("choices", None)
        return name, path, args, kwargs


class AuditEvent(HashChainedModel):
    """One event of the platform. Append-only: the database refuses UPDATE, DELETE, TRUNCATE.

    Each event belongs to the hash chain of its scope; see ANONYMOUS_SCOPE above.

    People, schools and trusts are referenced by plain ids, not foreign keys: a row never
    changes, so it must never block deleting a user nor be rewritten by ON DELETE SET NULL.
    """

    # Not among the hashed fields: rows written before scopes existed were hashed without it. A
    # row moved to another scope still breaks both chains' links.
    scope = models.CharField(max_length=40, editable=False)
    occurred_at = models.DateTimeField(default=timezone.now, editable=False)
    # Null for the system and for anonymous requests (a failed login).
    actor_id = models.BigIntegerField(null=True, blank=True)
    action = AuditActionField(max_length=40, choices=AuditAction.choices)
    school_id = models.BigIntegerField(null=True, blank=True)
    trust_id = models.BigIntegerField(null=True, blank=True)
    target_type = models.CharField(max_length=30, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    # Ids, role names, old and new values. Never a child's name nor any concern text
    # (docs/rules.md, "Child data stays in its school").
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    hashed_fields = (
        "occurred_at",
        "actor_id",
        "action",
        "school_id",
        "trust_id",
        "target_type",
        "target_id",
        "data",
        "ip_address",
    )
    chain_in_public_schema = True
    chain_scope_field = "scope"

    class Meta(HashChainedModel.Meta):
        constraints = chain_constraints(scope_field="scope")
        indexes = [
            # The head of a scope's chain: the last row of the scope, read on every append.
            models.Index(fields=["scope", "-id"], name="audit_scope_head"),
            models.Index(fields=["actor_id", "-occurred_at"], name="audit_actor_recent"),
            models.Index(fields=["school_id", "-occurred_at"], name="audit_school_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id or 'system'} at {self.occurred_at:%Y-%m-%d %H:%M}"
