"""Reads of trusts and schools."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from tenants.models import School


def school_of_request(request: HttpRequest) -> School | None:
    """The school whose site the request is on; None on the root domain."""
    tenant = getattr(request, "tenant", None)
    return tenant if isinstance(tenant, School) else None


def school_of_request_or_404(request: HttpRequest) -> School:
    """For views routed on school sites only: the school, or 404 on the root domain."""
    school = school_of_request(request)
    if school is None:
        raise Http404
    return school


def schools_active() -> QuerySet[School]:
    """Schools that are not suspended: the ones nightly and periodic work visits."""
    return School.objects.filter(status=School.Status.ACTIVE)


def school_by_schema(schema_name: str) -> School:
    """The school whose PostgreSQL schema this is (a task knows its school by the schema)."""
    return School.objects.get(schema_name=schema_name)
