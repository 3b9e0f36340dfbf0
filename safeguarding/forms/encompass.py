"""The form of an Operation Encompass notification typed in from a phone call. Its rules live in
safeguarding/services/encompass.py."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from safeguarding.models import Pupil

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class EncompassNotificationForm(forms.Form):
    police_force = forms.CharField(label="Police force", max_length=100)
    incident_reference = forms.CharField(label="Police incident reference", max_length=100)
    incident_at = forms.DateTimeField(
        label="Date and time of the incident",
        widget=_DATETIME,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    upn = forms.CharField(
        label="Pupil's UPN",
        max_length=13,
        required=False,
        help_text="If the police gave it; otherwise choose the pupil below.",
    )
    pupil = forms.ModelChoiceField(
        label="Pupil", queryset=Pupil.objects.none(), required=False, empty_label="Choose a pupil"
    )
    notification = forms.CharField(
        label="What the police told you",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Write it down as it was said: who was present, what happened, what is known.",
    )

    def __init__(self, *args: Any, pupils: QuerySet[Pupil], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["pupil"])
        field.queryset = pupils
        field.label_from_instance = _pupil_label  # type: ignore[method-assign,assignment]


def _pupil_label(pupil: Pupil) -> str:
    return f"{pupil.display_name} ({pupil.get_year_group_display()})"
