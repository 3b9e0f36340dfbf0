"""Reads of accounts that pages need: a school's pending DSL naming, the people of a trust."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tenants.models import School, Trust
from trustplatform.accounts.models import DslHandoverRequest, User


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
