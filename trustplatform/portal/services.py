"""Writes of the trust portal that belong to no other app: adding a school, DSL training dates."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing.services import subscription_new_school_add
from tenants.models import School, Trust
from tenants.services import school_create
from trustplatform.accounts.models import Role, SchoolMembership, User
from trustplatform.audit.models import AuditAction
from trustplatform.audit.services import audit_record

# DSL training dates before this are typing mistakes (and long overdue in any case).
EARLIEST_TRAINING_DATE = datetime.date(2000, 1, 1)


def trust_school_add(
    *, trust: Trust, actor: User | None, name: str, slug: str, urn: str, phase: str
) -> School:
    """Creates a school of the trust and puts it on the trust's billing subscription.

    The school is created on the owner role's connection and committed first (schema creation,
    tenants.services.school_create); it then joins the subscription in a transaction of its own,
    audited, and its pro-rata invoice is issued by a task after that commit (docs/billing.md,
    "Schools joining and leaving").
    """
    school = school_create(trust=trust, actor=actor, name=name, slug=slug, urn=urn, phase=phase)
    subscription_new_school_add(actor=actor, school=school)
    return school


@transaction.atomic
def dsl_training_record(
    *, membership: SchoolMembership, trained_on: datetime.date | None, actor: User
) -> SchoolMembership:
    """Records the date of a DSL's or deputy's last DSL training (None clears a wrong entry)."""
    membership = SchoolMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.role not in {Role.DSL, Role.DEPUTY_DSL}:
        raise ValidationError({"trained_on": "Only the DSL and deputies have DSL training."})
    if trained_on is not None and trained_on > timezone.localdate():
        raise ValidationError({"trained_on": "The training date cannot be in the future."})
    if trained_on is not None and trained_on < EARLIEST_TRAINING_DATE:
        raise ValidationError({"trained_on": "Check the year of the training date."})
    old = membership.dsl_training_on
    if old == trained_on:
        return membership
    membership.dsl_training_on = trained_on
    membership.save(update_fields=["dsl_training_on"])
    audit_record(
        # There is no dedicated action for training dates yet; "role changed" with the field
        # named in the data is the nearest (a DSL_TRAINING_RECORDED action belongs in audit).
        action=AuditAction.DSL_TRAINING_RECORDED,
        actor=actor,
        school=membership.school,
        target_type="user",
        target_id=membership.user_id,
        data={
            "field": "dsl_training_on",
            "role": membership.role,
            "old_dsl_training_on": old.isoformat() if old else None,
            "new_dsl_training_on": trained_on.isoformat() if trained_on else None,
        },
    )
    return membership
