"""Reads of trusts and schools."""

from __future__ import annotations

from django.http import HttpRequest

from tenants.models import School


def school_of_request(request: HttpRequest) -> School | None:
    """The school whose site the request is on; None on the root domain."""
    tenant = getattr(request, "tenant", None)
    return tenant if isinstance(tenant, School) else None
