"""Forms of the chronology pages: what a DSL records on a child's chronology, the page's filters,
and the PDF export that carries them (an export holds what the filtered page shows)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from safeguarding.forms.concerns import _DATETIME
from safeguarding.models import ChronologyEntry, ExportJob
from trustplatform.fields import BoundedDateField, IdField


class ChronologyFilter(forms.Form):
    category = IdField(required=False, label="Category")
    kind = forms.ChoiceField(
        required=False, label="Kind", choices=[("", "All"), *ChronologyEntry.Kind.choices]
    )
    since = BoundedDateField(required=False, label="From")
    until = BoundedDateField(required=False, label="To")


class ExportForm(ChronologyFilter):
    """The version, and the chronology page's filters: the entries the PDF holds."""

    version = forms.ChoiceField(
        choices=ExportJob.Version.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the full or the external version."},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The start date is after the end date.")
        return data


def _now_to_the_minute() -> Any:
    return timezone.localtime().replace(second=0, microsecond=0)


class RecordForm(forms.Form):
    """When it happened (now, unless changed) and, when that was a while ago, why it is
    recorded later; the service decides what "a while" is (docs/rules.md)."""

    occurred_at = forms.DateTimeField(
        label="Date and time", widget=_DATETIME, input_formats=["%Y-%m-%dT%H:%M"]
    )
    backdate_reason = forms.CharField(
        required=False,
        max_length=1000,
        label="If this was more than 15 minutes ago: why is it recorded now?",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("occurred_at", _now_to_the_minute())
        super().__init__(*args, **kwargs)


class ContactForm(RecordForm):
    kind = forms.ChoiceField(
        choices=[
            (ChronologyEntry.Kind.PHONE_CALL.value, "Telephone call"),
            (ChronologyEntry.Kind.MEETING.value, "Meeting"),
        ],
        label="Telephone call or meeting",
    )
    agency = forms.CharField(required=False, max_length=200, label="Call: agency")
    person = forms.CharField(required=False, max_length=200, label="Call: with whom")
    participants = forms.CharField(required=False, max_length=500, label="Meeting: who took part")
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000)
    attachments = forms.FileField(
        required=False,
        label="Meeting: its notes or minutes (optional)",
        help_text="PDF, image or Office document. Placed on the chronology at the meeting's time.",
    )
    notes_overview = forms.CharField(
        required=False, max_length=200, label="Meeting: what the notes are (optional)"
    )

    field_order = ("kind", "occurred_at", "backdate_reason")


class NoteForm(RecordForm):
    title = forms.CharField(required=False, max_length=200, label="Heading (optional)")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000, label="The note"
    )


class ChildInformedForm(RecordForm):
    told_by = forms.CharField(max_length=200, label="Who told the child")
    how = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20_000,
        label="What the child was told, and how",
    )
    child_views = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=20_000,
        label="The child's views and wishes",
        help_text="In the child's own words where you can, in quotation marks.",
    )
