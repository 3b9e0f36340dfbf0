"""A date-and-time field starts at now (London time, to the minute): what is being recorded has
usually just happened, and an empty picker on a phone takes many taps to fill."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django import forms
from django.utils import timezone

from safeguarding.forms.concerns import ConcernForm
from safeguarding.forms.sharing import ChildInformedForm

NOW = dt.datetime(2026, 11, 30, 10, 42, 37, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: ConcernForm(transcriber=False), "occurred_at"),
        (ChildInformedForm, "informed_at"),
    ],
)
def test_a_date_and_time_field_starts_at_now(make: type[forms.Form], field: str) -> None:
    with time_machine.travel(NOW, tick=False):
        form = make()
        shown = form[field].value()
    assert isinstance(shown, dt.datetime), f"{field} starts empty"
    # Shown in the school's time zone (the form's own conversion): 10:42 in London in November.
    if timezone.is_aware(shown):
        shown = timezone.localtime(shown)
    assert shown.strftime("%Y-%m-%dT%H:%M") == "2026-11-30T10:42"
