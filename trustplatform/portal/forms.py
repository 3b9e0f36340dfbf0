"""Forms of the trust portal. They only collect input; the services validate and write."""

from __future__ import annotations

from django import forms

from tenants.models import School


class SchoolCreateForm(forms.Form):
    name = forms.CharField(label="School name", max_length=200)
    slug = forms.CharField(
        label="Subdomain",
        max_length=40,
        help_text="3 to 40 lower-case letters, digits or hyphens, e.g. alder-lane.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    urn = forms.CharField(
        label="DfE URN",
        max_length=6,
        help_text="The school's 6-digit unique reference number.",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    phase = forms.ChoiceField(label="Phase", choices=School.Phase.choices)


class SchoolDomainForm(forms.Form):
    slug = forms.CharField(
        label="New subdomain",
        max_length=40,
        help_text="3 to 40 lower-case letters, digits or hyphens.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )


class SchoolRenameForm(forms.Form):
    name = forms.CharField(label="New name", max_length=200)


class DslTrainingForm(forms.Form):
    trained_on = forms.DateField(
        label="Date of the last DSL training",
        required=False,
        help_text="Leave empty to clear a wrongly entered date.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
