"""`{{ code|role_label }}`: a role kept by its code (as snapshots are) named as people say it."""

from __future__ import annotations

from django import template

from trustplatform.accounts.models import Role

register = template.Library()


@register.filter
def role_label(code: str) -> str:
    """ "dsl" reads "Designated Safeguarding Lead"; a code no longer known is shown as stored."""
    return str(Role(code).label) if code in Role.values else code
