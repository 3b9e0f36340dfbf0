"""Form helpers shared by every app's views."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def form_errors_add(form: forms.BaseForm, error: ValidationError) -> None:
    """Shows a service's refusal on the form: on its field when it names one, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, problems in error.message_dict.items():
        form.add_error(name if name in form.fields else None, problems)


def error_text(error: ValidationError) -> str:
    """A service's refusal as one line, for the top of a form or a message after a redirect."""
    return " ".join(error.messages)
