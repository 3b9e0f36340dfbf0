"""Forms of the chronology and its PDF export: the page's filters, and the export that carries
them (an export holds what the filtered page shows)."""

from __future__ import annotations

from typing import Any

from django import forms

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
