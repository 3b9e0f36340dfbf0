"""Reads of accounts that pages need: a school's staff and DSL, its pending DSL naming, the people
of a trust, what is left of someone's recovery codes."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from tenants.models import School, Trust
from tenants.selectors import school_of_request
from trustplatform.accounts.models import (
    DslHandoverRequest,
    RecoveryCode,
    Role,
    SchoolMembership,
    TrustMembership,
    User,
)
from trustplatform.grants import MAY_BECOME_DSL


def dsl_handover_pending(*, school: School) -> DslHandoverRequest | None:
    """The trust's naming of a new DSL that waits for the school, if any."""
    return (
        DslHandoverRequest.objects.filter(school=school, status=DslHandoverRequest.Status.PENDING)
        .select_related("nominee")
        .first()
    )


def trust_people(*, trust: Trust) -> QuerySet[User]:
    """People whose every role is in this trust or its schools: the trust admin's to look after.

    Someone who also holds a role in another trust is not one trust's alone to reset.
    """
    inside = Q(school_memberships__school__trust=trust) | Q(trust_memberships__trust=trust)
    outside = User.objects.filter(
        Q(school_memberships__school__in=School.objects.exclude(trust=trust))
        | Q(trust_memberships__trust__in=Trust.objects.exclude(pk=trust.pk))
    )
    return (
        User.objects.filter(inside, is_active=True)
        .exclude(pk__in=outside.values("pk"))
        .distinct()
        .order_by("full_name")
    )


def school_staff(*, school: School) -> QuerySet[SchoolMembership]:
    """Everyone with a role at the school, by name."""
    return (
        SchoolMembership.objects.filter(school=school)
        .select_related("user")
        .order_by("user__full_name")
    )


def school_membership_get(*, school: School, membership_id: int) -> SchoolMembership | None:
    """A role at this school only: another school's id finds nothing, as a missing one does."""
    return (
        SchoolMembership.objects.select_related("user")
        .filter(pk=membership_id, school=school)
        .first()
    )


def school_dsl_membership(*, school: School) -> SchoolMembership | None:
    """The school's current Designated Safeguarding Lead, if it has one."""
    return (
        SchoolMembership.objects.filter(school=school, role=Role.DSL).select_related("user").first()
    )


def dsl_handover_pending_get(*, school: School, request_id: int) -> DslHandoverRequest | None:
    """This school's pending naming of a new DSL with this id, if there is one."""
    return DslHandoverRequest.objects.filter(
        pk=request_id, school=school, status=DslHandoverRequest.Status.PENDING
    ).first()


def recovery_codes_remaining(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def dsl_candidates(*, school: School) -> QuerySet[User]:
    """Active staff of the school whose role may become its DSL, its current DSL left out."""
    current_dsl = SchoolMembership.objects.filter(school=school, role=Role.DSL)
    return User.objects.filter(
        school_memberships__school=school,
        school_memberships__role__in=[r.value for r in MAY_BECOME_DSL],
        is_active=True,
    ).exclude(pk__in=current_dsl.values("user_id"))


def may_sign_in_here(user: User, request: HttpRequest) -> bool:
    """A school's site admits its members; the root domain people with a trust role, and the
    operator (whose Django admin is served there only)."""
    school = school_of_request(request)
    if school is not None:
        return SchoolMembership.objects.filter(user=user, school=school).exists()
    return user.is_staff or TrustMembership.objects.filter(user=user).exists()
