"""Reads of trusts and schools."""

from __future__ import annotations

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
