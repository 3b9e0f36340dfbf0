"""Who may see and change a trust's billing: the one vocabulary of trustplatform/permissions.py.

The trust admin of the trust (with two-factor passed) sees its subscription and invoices and adds
or removes its schools; the operator, in the admin, manages the price list and records payments.
No school role, governor or trustee sees a trust's invoices.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest

from tenants.models import Trust
from trustplatform.permissions import Capability, trust_for_capability

VIEW_BILLING = Capability.VIEW_TRUST_BILLING
MANAGE_BILLING = Capability.MANAGE_TRUST_BILLING


def billing_trust(request: HttpRequest, capability: Capability = VIEW_BILLING) -> Trust:
    """The trust whose billing the user may see (or change); the same 404 for anyone else."""
    trust = trust_for_capability(request, capability)
    if trust is None:
        raise Http404
    return trust
