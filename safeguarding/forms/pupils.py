"""Forms of the pupil pages. They read input only; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguarding.models import FamilyLink, Pupil, YearGroup
from safeguarding.services.pupil_import import MAX_BYTES
from safeguarding.services.pupils import field_label


def _date_input() -> forms.DateInput:
    # The browser's own date picker, which phones show as their native control.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PupilForm(forms.Form):
    """Enrol a pupil, or change one: the fields the MIS also holds."""

    upn = forms.CharField(
        label="UPN",
        max_length=20,
        help_text="The unique pupil number from the MIS: a letter and 12 characters.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    legal_first_name = forms.CharField(label="Legal first name", max_length=100)
    legal_last_name = forms.CharField(label="Legal last name", max_length=100)
    preferred_first_name = forms.CharField(
        label="Preferred first name", max_length=100, required=False
    )
    preferred_last_name = forms.CharField(
        label="Preferred last name", max_length=100, required=False
    )
    date_of_birth = forms.DateField(label="Date of birth", widget=_date_input())
    sex = forms.ChoiceField(label="Sex", choices=[("", "Choose"), *Pupil.Sex.choices])
    year_group = forms.TypedChoiceField(label="Year group", choices=YearGroup.choices, coerce=int)
    form = forms.CharField(label="Form or class", max_length=20, required=False)
    admission_date = forms.DateField(label="Admission date", required=False, widget=_date_input())
    leaving_date = forms.DateField(
        label="Leaving date",
        required=False,
        widget=_date_input(),
        help_text="Only when the pupil has left. Leavers are kept, never deleted.",
    )
    flags = forms.MultipleChoiceField(
        label="What the MIS records about the pupil",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        # Never the safeguarding flags: the DSL sets those on the child's page, dated.
        choices=[(name, field_label(name)) for name in Pupil.FLAG_FIELDS],
    )

    @classmethod
    def initial_for(cls, pupil: Pupil) -> dict[str, Any]:
        fields = [name for name in cls.base_fields if name != "flags"]
        return {name: getattr(pupil, name) for name in fields} | {
            "flags": [name for name in Pupil.FLAG_FIELDS if getattr(pupil, name)]
        }

    def pupil_fields(self) -> dict[str, Any]:
        """The cleaned data as the services' keyword arguments."""
        data = {name: value for name, value in self.cleaned_data.items() if name != "flags"}
        chosen = set(self.cleaned_data.get("flags", []))
        return data | {name: name in chosen for name in Pupil.FLAG_FIELDS}


class FamilyLinkForm(forms.Form):
    relative_upn = forms.CharField(
        label="The relative's UPN",
        max_length=20,
        help_text="The other pupil must be enrolled at this school.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "aria-describedby": "relative-upn-hint",
            }
        ),
    )
    relationship = forms.ChoiceField(label="Relationship", choices=FamilyLink.Relationship.choices)


class PupilImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file exported from your MIS",
        help_text=f"At most {MAX_BYTES // (1024 * 1024)} MB. Nothing is saved until you confirm.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


STATUS_CHOICES = [("on_roll", "On roll"), ("leavers", "Leavers"), ("all", "Everyone")]


class PupilFilterForm(forms.Form):
    q = forms.CharField(label="Name or UPN", required=False, max_length=100)
    year_group = forms.TypedChoiceField(
        label="Year group", required=False, coerce=int, empty_value=None
    )
    status = forms.ChoiceField(label="Show", required=False, choices=STATUS_CHOICES)

    def __init__(self, *args: Any, year_groups: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A key holder is offered only the year groups they were granted.
        self.fields["year_group"].choices = [("", "All year groups"), *year_groups]  # type: ignore[attr-defined]


class UpnLookupForm(forms.Form):
    upn = forms.CharField(label="UPN of the pupil to change", max_length=20)


class PupilFlagForm(forms.Form):
    """Set or end one safeguarding flag from a date. One per flag on the child's page, each
    with the flag's name as prefix so their ids differ; the service decides what is valid."""

    on_date = forms.DateField(label="From", widget=_date_input())
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
