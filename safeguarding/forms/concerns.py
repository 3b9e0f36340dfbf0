"""Forms of the concern pages. Validation of the record itself lives in the services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils import timezone

from safeguarding.body_map import MAX_NOTE, Mark, marks_posted, regions_in_list_order
from safeguarding.models import Action, AllegationVersion, Concern, Source

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MultipleFileInput(forms.ClearableFileInput):
    # The files themselves are read from request.FILES.getlist() by the view.
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return super().clean(data, initial)


class IdListField(forms.Field):
    """Ids ticked in a list the page draws itself; which ids are allowed is the service's rule."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        try:
            return [int(item) for item in value or []]
        except (TypeError, ValueError):
            raise forms.ValidationError("Choose from the list.") from None


MAX_POSTED_MARKS = 60  # above the service's limit, so that limit is the one people are told


class BodyMapInput(forms.Widget):
    """The marks as the form posts them: one `mark_view`, `mark_x`, `mark_y` and `mark_note` per
    mark, in order; the mark a "Remove" button names dropped; and the place chosen in the list of
    regions (`body_map_region`, "front:left_forearm", with `body_map_note`) added as a mark.

    Drawn by the template, not by this widget: the page lays out the outline and the list.
    """

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[dict[str, Any]] | None:
        if not hasattr(data, "getlist"):
            return []
        columns = [data.getlist(f"mark_{key}") for key in ("view", "x", "y", "note")]
        if len({len(column) for column in columns}) > 1 or len(columns[0]) > MAX_POSTED_MARKS:
            return None  # not what the page posts: refused as unreadable
        marks: list[dict[str, Any]] = [
            {"view": view, "x": x, "y": y, "note": note}
            for view, x, y, note in zip(*columns, strict=True)
        ]
        remove = str(data.get("body_map_remove", ""))
        if remove.isdigit() and int(remove) < len(marks):
            del marks[int(remove)]
        view, _, region = str(data.get("body_map_region", "")).partition(":")
        if region:
            note = str(data.get("body_map_note", ""))[:MAX_NOTE]
            marks.append({"view": view, "region": region, "note": note})
        return marks


class BodyMapField(forms.Field):
    widget = BodyMapInput

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        if value is None:
            raise forms.ValidationError("The body map could not be read; mark it again.")
        return list(value)


class ConcernForm(forms.Form):
    # Pupils, categories and colleagues are drawn by the template from the view's lists; the
    # service checks every id, so a POST needs no list loaded to be validated.
    pupils = IdListField(required=False)
    categories = IdListField(required=False, label="What kind of concern")
    occurred_at = forms.DateTimeField(
        label="When it happened", widget=_DATETIME, input_formats=["%Y-%m-%dT%H:%M"]
    )
    backdate_reason = forms.CharField(
        required=False, label="If this was more than 15 minutes ago: why is it recorded now?"
    )
    location = forms.CharField(required=False, max_length=200, label="Where")
    account = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        label="What you saw or heard",
        help_text="Facts only, and the child's own words in quotation marks.",
    )
    action_taken = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="What you have done so far"
    )
    told_dsl_in_person = forms.BooleanField(required=False, label="I have told a DSL in person")
    body_map = BodyMapField(required=False, label="Body map")
    attachments = MultipleFileField(
        required=False,
        label="Attach a photo of a note or a document (optional)",
        help_text="PDF, image or Office document, up to 10 MB each.",
    )
    notify = IdListField(required=False, label="Also alert (optional)")
    adult_user = forms.IntegerField(required=False, label="The member of staff it is about")
    adult_name = forms.CharField(
        required=False,
        max_length=200,
        label="Or, if they have no account here: their name",
    )
    adult_role = forms.CharField(required=False, max_length=200, label="Their role")
    source = forms.ChoiceField(
        choices=[
            (Source.DIRECT.value, Source.DIRECT.label),
            (Source.PAPER_FORM.value, Source.PAPER_FORM.label),
            (Source.PHONE_CALL.value, Source.PHONE_CALL.label),
            (Source.MEETING.value, Source.MEETING.label),
        ],
        initial=Source.DIRECT.value,
        label="How it reached you",
    )
    original_author_name = forms.CharField(
        required=False, max_length=200, label="Paper form: written by"
    )
    original_written_at = forms.DateTimeField(
        required=False,
        label="Paper form: written at",
        widget=_DATETIME,
        input_formats=["%Y-%m-%dT%H:%M"],
    )

    def __init__(self, *args: Any, transcriber: bool, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault(
            "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        super().__init__(*args, **kwargs)
        if not transcriber:
            # Only the DSL and deputies enter paper forms, calls and meetings on someone's behalf.
            for name in ("source", "original_author_name", "original_written_at"):
                del self.fields[name]

    @property
    def body_marks(self) -> list[Mark]:
        """The marks to show on the form again: as posted, with their places found."""
        if self.is_bound:
            return marks_posted(self["body_map"].value() or [])
        return list(self.initial.get("body_map") or [])

    @property
    def body_map_regions(self) -> list[Any]:
        return regions_in_list_order()

    @classmethod
    def redrawn(cls, data: Mapping[str, Any], *, transcriber: bool) -> ConcernForm:
        """The form as typed, after a mark was added or removed without JavaScript: nothing is
        recorded, and no errors are shown for fields not yet filled in."""
        form = cls(data, transcriber=transcriber)
        marks = form.body_marks
        form = cls(
            initial={name: data.get(name) for name in form.fields if name != "body_map"},
            transcriber=transcriber,
        )
        form.initial["body_map"] = marks
        return form


class ScreeningForm(forms.Form):
    level = forms.ChoiceField(choices=Concern.Level.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Why this level")
    next_steps = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Next steps"
    )


class ActionForm(forms.Form):
    kind = forms.ChoiceField(choices=Action.Kind.choices, label="Action")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    decision_rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="If not referring: why not",
    )
    assignee = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Assign to"
    )
    due_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, colleagues: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "Nobody yet")] + [  # type: ignore[attr-defined]
            (u.pk, u.full_name) for u in colleagues
        ]


class OutcomeForm(forms.Form):
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(Concern.Status.OPEN.value, "Open a case"), (Concern.Status.CLOSED.value, "Close")]
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Summary (to close)"
    )


class CorrectionForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), label="Corrected text")
    reason = forms.CharField(max_length=500, label="Why it is corrected")


class ConcernCorrectionForm(forms.Form):
    """A concern's corrected account; what is not corrected is carried over by the service."""

    account = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20_000,
        label="Corrected account",
        help_text="What was seen or heard, in the words used, as it should read.",
    )
    location = forms.CharField(required=False, max_length=200, label="Where")
    action_taken = forms.CharField(
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What the member of staff already did",
    )
    reason = forms.CharField(
        max_length=500,
        label="Why it is corrected",
        help_text="Kept with the correction; the earlier version stays on the record.",
    )


class AllegationUpdateForm(forms.Form):
    """What a handler posts; a field left out of the post leaves its value as it is."""

    lado_referred = forms.BooleanField(required=False, label="Referred to the LADO")
    lado_reference = forms.CharField(required=False, max_length=100, label="LADO reference")
    outcome = forms.ChoiceField(
        required=False,
        label="Outcome",
        choices=[("", "No outcome yet"), *AllegationVersion.Outcome.choices],
    )
    notes = forms.CharField(required=False, max_length=20_000, label="Notes")
    adult_date_of_birth = forms.DateField(
        required=False, label="The adult's date of birth (sets how long the record is kept)"
    )
