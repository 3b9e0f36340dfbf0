"""What every page of a school's records needs from a request: who is acting, and how a refused
write shows on its form."""

from __future__ import annotations

from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from safeguarding.services.chronology import Person
from trustplatform.accounts.models import User
from trustplatform.permissions import roles_here


def acting_user(request: HttpRequest) -> User:
    """The signed-in user; for views behind `require`, which lets only signed-in users through."""
    return cast(User, request.user)


def acting_person(request: HttpRequest) -> Person:
    """The signed-in user as records keep people: id, name, and their role in this school."""
    user = acting_user(request)
    # A user holds one role in a school (one membership each), so this is that role.
    role = next(iter(roles_here(request)), None)
    return Person(user_id=user.pk, name=user.full_name, role=str(role or ""))


def form_errors_add(form: forms.BaseForm, error: ValidationError) -> None:
    """Shows a service's refusal on the form: on its field when it names one, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, problems in error.message_dict.items():
        form.add_error(name if name in form.fields else None, problems)


def error_text(error: ValidationError) -> str:
    """A service's refusal as one line, for a message after a redirect."""
    return " ".join(error.messages)
