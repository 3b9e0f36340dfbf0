"""Writes to a school's records. Runs inside the school's schema: never filters by school."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django_tenants.utils import get_public_schema_name

from safeguarding.models import AccessAction, AccessLogEntry, Category, KeyHolderGrant, YearGroup
from safeguarding.services.chronology import Person
from tenants.db import school_connection
from tenants.models import School
from trustplatform import grants
from trustplatform.accounts.models import Role, SchoolMembership, User
from trustplatform.audit.models import AuditAction
from trustplatform.audit.services import audit_record, client_ip
from trustplatform.grants import refusals_audited
from trustplatform.hashchain import chain_append


@transaction.atomic
def access_log_record(
    *,
    person: Person,
    action: AccessAction,
    object_type: str,
    object_id: object,
    pupil_id: int | None = None,
    request: HttpRequest | None = None,
) -> AccessLogEntry:
    """Appends to the current school's access log: a view, opened search hit, export or print.

    `person` is who read, as records keep people (a reader's `.person`, or `person_of` a
    request): one spelling of the role everywhere.
    """
    if school_connection.schema_name == get_public_schema_name():
        # The public schema has no access log; a call from there is a bug, not a no-op.
        raise RuntimeError("access_log_record must run inside a school's schema.")
    return chain_append(
        AccessLogEntry,
        user_id=person.user_id,
        user_name=person.name,
        user_role=person.role,
        action=AccessAction(action),
        object_type=object_type,
        object_id=str(object_id),
        pupil_id=pupil_id,
        ip_address=client_ip(request),
    )


@refusals_audited
@transaction.atomic
def key_holder_access_set(
    *,
    school: School,
    key_holder: User,
    category_ids: Iterable[int],
    year_groups: Iterable[int],
    actor: User,
    request: HttpRequest | None = None,
) -> KeyHolderGrant:
    """The DSL sets which categories and year groups a key holder sees.

    docs/rules.md, "Who reads which records".
    """
    held = (
        SchoolMembership.objects.filter(user=key_holder, school=school)
        .values_list("role", flat=True)
        .first()
    )
    grants.check(
        grants.Grant(
            actor=actor,
            way=grants.Way.KEY_HOLDER_GRANT,
            school=school,
            target=key_holder,
            role=Role(held) if held else None,
        )
    )
    wanted = set(category_ids)
    groups = sorted(set(year_groups))
    categories = list(Category.objects.filter(pk__in=wanted, retired_at__isnull=True))
    if len(categories) != len(wanted):
        raise ValidationError("Choose categories from the school's current list.")
    if restricted := [
        c.name for c in categories if c.sensitivity == Category.Sensitivity.RESTRICTED
    ]:
        raise ValidationError(
            "Restricted categories are seen only by the DSL, deputies and headteacher: "
            + ", ".join(restricted)
        )
    if unknown := [g for g in groups if g not in YearGroup.values]:
        raise ValidationError(f"Unknown year groups: {unknown}.")
    # An empty side would read as "nothing" to some and "everything" to others: refuse it. To
    # take a key holder's access away, change their role.
    if not wanted:
        raise ValidationError("Choose at least one category: a grant without one shows nothing.")
    if not groups:
        raise ValidationError("Choose at least one year group: a grant without one shows nothing.")

    grant, _ = KeyHolderGrant.objects.select_for_update().get_or_create(
        user_id=key_holder.pk,
        defaults={"granted_by_id": actor.pk, "granted_by_name": actor.full_name},
    )
    old = {
        "category_ids": sorted(grant.categories.values_list("pk", flat=True)),
        "year_groups": sorted(grant.year_groups),
    }
    grant.year_groups = groups
    grant.granted_by_id, grant.granted_by_name = actor.pk, actor.full_name
    grant.save()
    grant.categories.set(categories)
    audit_record(
        action=AuditAction.KEY_HOLDER_ACCESS_CHANGED,
        actor=actor,
        school=school,
        target_type="user",
        target_id=key_holder.pk,
        data={
            "old": old,
            "new": {"category_ids": sorted(c.pk for c in categories), "year_groups": groups},
        },
        request=request,
    )
    return grant
