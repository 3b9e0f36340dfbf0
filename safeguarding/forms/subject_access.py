"""Forms of subject access requests. They read input only: the rules are in
safeguarding/services/subject_access.py."""

from __future__ import annotations

from django import forms

from safeguarding.models import SubjectAccessRequest
from trustplatform.fields import BoundedDateField


class SarOpenForm(forms.Form):
    requester_kind = forms.ChoiceField(
        label="Who asked", choices=SubjectAccessRequest.Requester.choices
    )
    requester = forms.CharField(
        label="Their name and how they relate to the child",
        max_length=200,
        help_text="For example: Ms R. Example, mother; or the solicitors' firm and reference.",
    )
    received_on = BoundedDateField(
        label="Date received", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class SarReleaseForm(forms.Form):
    released_to = forms.CharField(
        label="Sent to", max_length=200, help_text="Who receives the response, and how."
    )
