"""Form fields for values that arrive in query strings and forms, bounded so that no value a
crafted request can carry reaches the database or date arithmetic unchecked: each out-of-range
value is refused with a message that says what is expected (docs/security.md, "Input").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

# Wide enough for any date a safeguarding record or its filters can mean (a pupil's date of
# birth, a backdated event); narrow enough that a day's arithmetic never leaves Python's range.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)
# The largest id a PostgreSQL bigint column (every id here) can hold.
LARGEST_ID = 2**63 - 1


def _date_range_message() -> str:
    return f"Enter a date between {EARLIEST_DATE:%-d %B %Y} and {LATEST_DATE:%-d %B %Y}."


class BoundedDateField(forms.DateField):
    """A date within EARLIEST_DATE..LATEST_DATE; anything else is refused with a clear message."""

    default_error_messages = {"invalid": "Enter a real date, like 2025-09-01."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        message = _date_range_message()
        self.validators.append(MinValueValidator(EARLIEST_DATE, message=message))
        self.validators.append(MaxValueValidator(LATEST_DATE, message=message))


class IdField(forms.IntegerField):
    """The id of a row: a whole number from 1 to the largest a bigint column holds."""

    default_error_messages = {"invalid": "Choose from the list."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", LARGEST_ID)
        kwargs.setdefault(
            "error_messages",
            {"min_value": "Choose from the list.", "max_value": "Choose from the list."},
        )
        super().__init__(**kwargs)


def form_errors_text(form: forms.Form) -> str:
    """Every error of a filter form in one sentence per field, labelled: for a page's banner."""
    return " ".join(
        f"{form.fields[name].label or name.capitalize()}: {' '.join(map(str, errors))}"
        if name in form.fields
        else " ".join(map(str, errors))
        for name, errors in form.errors.items()
    )
