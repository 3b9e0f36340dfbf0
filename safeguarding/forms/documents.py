"""The document upload form. It reads input only; the checks that matter are in the service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dateformat import format as date_format

from safeguarding.models import Concern, Pupil
from safeguarding.permissions import Reader
from safeguarding.selectors.concerns import concerns_visible
from safeguarding.services.documents import (
    ACCEPTED_EXTENSIONS,
    ACCEPTED_SUMMARY,
    document_max_bytes,
)


class ConcernChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Concern) -> str:
        # No account text in a drop-down: the date and status identify the concern.
        recorded = date_format(timezone.localtime(obj.recorded_at), "j M Y H:i")
        return f"Concern recorded {recorded} ({obj.get_status_display()})"


class DocumentUploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        # Phones offer the camera and photo library for these types as well as files.
        widget=forms.FileInput(attrs={"accept": ",".join(ACCEPTED_EXTENSIONS)}),
    )
    overview = forms.CharField(
        label="What is this document?",
        max_length=500,
        help_text="A brief description, for example: letter from children's social care "
        "after the strategy meeting.",
    )
    concern = ConcernChoiceField(
        label="Which concern is it about? (optional)",
        queryset=Concern.objects.none(),
        required=False,
        empty_label="Not about one concern",
    )

    def __init__(self, *args: Any, pupil: Pupil, reader: Reader, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        megabytes = document_max_bytes() // (1024 * 1024)
        self.fields["file"].help_text = f"Upload {ACCEPTED_SUMMARY}, up to {megabytes} MB."
        # The pupil's current concerns that this reader may see (allegations only for the DSL
        # and headteacher); a corrected concern is replaced by its newer version.
        self.fields["concern"].queryset = (  # type: ignore[attr-defined]
            concerns_visible(reader)
            .filter(pupils=pupil, superseded_by__isnull=True)
            .order_by("-recorded_at")
        )
