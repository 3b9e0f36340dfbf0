from __future__ import annotations

from typing import Any

from django import forms

from tenants.models import School


class TransferStartForm(forms.Form):
    to_school = forms.ModelChoiceField(
        queryset=School.objects.none(), label="Receiving school", empty_label="Choose a school"
    )
    moved_on = forms.DateField(
        label="Date of the move (or first day of the new term)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, destinations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_school"].queryset = destinations  # type: ignore[attr-defined]


class TransferRejectForm(forms.Form):
    reason = forms.CharField(
        label="Why the file is rejected", widget=forms.Textarea(attrs={"rows": 3})
    )


class SupplementForm(forms.Form):
    title = forms.CharField(label="Heading (optional)", required=False, max_length=200)
    body = forms.CharField(
        label="What was learnt", max_length=20_000, widget=forms.Textarea(attrs={"rows": 6})
    )
