"""Forms of the policy register. They validate input only; the services do the writing."""

from __future__ import annotations

from django import forms

from trustplatform.policies.models import DEFAULT_REVIEW_INTERVAL_MONTHS, PolicyKind


class DateInput(forms.DateInput):
    input_type = "date"


class PolicyForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(label="Kind of policy", choices=PolicyKind.choices)
    owner = forms.CharField(
        max_length=200, help_text="The person or role who keeps this policy up to date."
    )
    approving_body = forms.CharField(
        max_length=200, initial="Full governing body", help_text="Who approves each review."
    )
    review_interval_months = forms.IntegerField(
        label="Review every (months)",
        min_value=1,
        max_value=36,
        initial=DEFAULT_REVIEW_INTERVAL_MONTHS,
    )
    last_reviewed_on = forms.DateField(label="Last reviewed on", required=False, widget=DateInput)
    next_review_due = forms.DateField(
        label="Next review due",
        required=False,
        widget=DateInput,
        help_text="Leave empty to count one interval from the last review.",
    )
    document_reference = forms.CharField(
        label="Where the approved document is kept",
        max_length=300,
        required=False,
        help_text="For example a shared-drive path, a web address or a version number.",
    )
    document = forms.FileField(
        label="The approved document (PDF, optional)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def __init__(self, *args: object, editing: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if editing:
            # The history of reviews is recorded through reviews, not edited here.
            del self.fields["last_reviewed_on"]
            self.fields["next_review_due"].required = True
            self.fields["next_review_due"].help_text = ""

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if (
            "last_reviewed_on" in self.fields
            and not data.get("last_reviewed_on")
            and not data.get("next_review_due")
        ):
            raise forms.ValidationError(
                "Give the date of the last review or the date the next review is due."
            )
        return data


class ReviewForm(forms.Form):
    reviewed_on = forms.DateField(label="Date of the review", widget=DateInput)
    approved_by = forms.CharField(
        label="Approved by", max_length=200, help_text="The body or meeting that approved it."
    )
    minutes_reference = forms.CharField(
        label="Minutes reference",
        max_length=200,
        required=False,
        help_text="For example: FGB minutes 14 March, item 6.",
    )
