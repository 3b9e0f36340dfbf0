"""What every page of a school's records needs from a request: who is acting, and how a refused
write shows on its form."""

from __future__ import annotations

from django.http import HttpRequest

from safeguarding.services.chronology import Person
from trustplatform.forms import error_text, form_errors_add
from trustplatform.permissions import acting_user, roles_here

__all__ = ["acting_person", "acting_user", "error_text", "form_errors_add"]


def acting_person(request: HttpRequest) -> Person:
    """The signed-in user as records keep people: id, name, and their role in this school."""
    user = acting_user(request)
    # A user holds one role in a school (one membership each), so this is that role.
    role = next(iter(roles_here(request)), None)
    return Person(user_id=user.pk, name=user.full_name, role=str(role or ""))
