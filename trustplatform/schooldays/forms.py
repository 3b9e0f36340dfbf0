"""Forms of the school calendar. They check input only; the services check the calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from trustplatform.schooldays.models import Term, academic_year_label, academic_year_of
from trustplatform.schooldays.services import TermDates


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


def academic_year_choices(today: dt.date) -> list[tuple[int, str]]:
    """The school years a calendar is usually edited for: last, this and the next two."""
    current = academic_year_of(today)
    return [(year, academic_year_label(year)) for year in range(current - 1, current + 3)]


def _date(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DateInput)


class TermForm(forms.Form):
    academic_year = forms.TypedChoiceField(label="School year", coerce=int, choices=())
    name = forms.ChoiceField(label="Term", choices=Term.Name.choices)
    first_day = _date("First day of term")
    last_day = _date("Last day of term")
    half_term_first_day = _date("First day of the half-term holiday", required=False)
    half_term_last_day = _date("Last day of the half-term holiday", required=False)

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["academic_year"].choices = academic_year_choices(today)  # type: ignore[attr-defined]

    def term_dates(self) -> TermDates:
        data = self.cleaned_data
        return TermDates(
            name=Term.Name(data["name"]),
            first_day=data["first_day"],
            last_day=data["last_day"],
            half_term_first_day=data["half_term_first_day"],
            half_term_last_day=data["half_term_last_day"],
        )


class TrustTermsForm(forms.Form):
    """A school year's three terms, given to every school of the trust at once."""

    academic_year = forms.TypedChoiceField(label="School year", coerce=int, choices=())

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["academic_year"].choices = academic_year_choices(today)  # type: ignore[attr-defined]
        for name, label in Term.Name.choices:
            short = label.removesuffix(" term")
            self.fields[f"{name}_first_day"] = _date(f"{short}: first day")
            self.fields[f"{name}_half_term_first_day"] = _date(
                f"{short}: half-term begins", required=False
            )
            self.fields[f"{name}_half_term_last_day"] = _date(
                f"{short}: half-term ends", required=False
            )
            self.fields[f"{name}_last_day"] = _date(f"{short}: last day")

    def terms(self) -> list[TermDates]:
        data = self.cleaned_data
        return [
            TermDates(
                name=Term.Name(name),
                first_day=data[f"{name}_first_day"],
                last_day=data[f"{name}_last_day"],
                half_term_first_day=data[f"{name}_half_term_first_day"],
                half_term_last_day=data[f"{name}_half_term_last_day"],
            )
            for name in Term.Name.values
        ]


class ClosureDayForm(forms.Form):
    day = _date("Date")
    reason = forms.CharField(
        max_length=100, help_text="For example: INSET day, snow closure, polling station."
    )


class DayStartForm(forms.Form):
    starts_at = forms.TimeField(
        label="The school day starts at",
        widget=TimeInput(format="%H:%M"),
        help_text="Deadlines that fall 'before the start of the next school day' end here.",
    )
