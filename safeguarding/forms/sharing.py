"""Forms of the agency directory and of each step of a disclosure. They read input only: the
rules (who may approve, what each step needs) are in safeguarding/services/sharing.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateformat import format as date_format

from safeguarding.models import Agency, AgencyContact, Disclosure, Document, LawfulBasis
from safeguarding.selectors.sharing import agencies_current, agency_contacts_current

BACKDATE_HELP = "Needed only when this is recorded more than 15 minutes after it happened."


def _now_local() -> dt.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


class LocalDateTimeField(forms.DateTimeField):
    """A date and time picker (phones show their own), read in the school's time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _backdate_reason() -> forms.CharField:
    return forms.CharField(
        label="Why is this recorded late? (if it is)",
        required=False,
        help_text=BACKDATE_HELP,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AgencyForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = ("name", "kind", "phone", "email", "address", "notes", "retired")
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "address": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


class AgencyContactForm(forms.ModelForm):
    class Meta:
        model = AgencyContact
        fields = ("name", "role", "phone", "email", "retired")
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})}


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AgencyContact) -> str:
        return f"{obj.agency.name} — {obj}"


class DisclosureRequestForm(forms.Form):
    agency = forms.ModelChoiceField(
        label="Which agency is asking?",
        queryset=Agency.objects.none(),
        empty_label="Choose an agency",
    )
    contact = ContactChoiceField(
        label="Contact at the agency (optional)",
        queryset=AgencyContact.objects.none(),
        required=False,
        empty_label="Not one of the listed contacts",
    )
    requested_by = forms.CharField(
        label="Who asked?", max_length=200, help_text="Their name and role."
    )
    request_summary = forms.CharField(
        label="What did they ask for?", widget=forms.Textarea(attrs={"rows": 4})
    )
    request_received_at = LocalDateTimeField(label="When was the request received?")
    backdate_reason = _backdate_reason()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies_current()  # type: ignore[attr-defined]
        self.fields["contact"].queryset = agency_contacts_current()  # type: ignore[attr-defined]
        self.fields["request_received_at"].initial = _now_local


DECISIONS = [("approve", "Approve sharing"), ("refuse", "Refuse sharing")]


class DisclosureDecisionForm(forms.Form):
    decision = forms.ChoiceField(label="Your decision", choices=DECISIONS, widget=forms.RadioSelect)
    lawful_basis = forms.MultipleChoiceField(
        label="Lawful basis for sharing",
        choices=LawfulBasis.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="If you approve: every basis relied on (usually one from Article 6 and, for "
        "safeguarding information, one from Article 9).",
    )
    lawful_basis_other = forms.CharField(
        label="Other lawful basis", max_length=300, required=False, help_text="If you chose Other."
    )
    notes = forms.CharField(
        label="Conditions, or the reason for refusing",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed if you refuse. If you approve: any limits on what may be shared.",
    )


class DisclosureSharedForm(forms.Form):
    shared_at = LocalDateTimeField(label="When was it shared?")
    shared_via = forms.ChoiceField(
        label="How was it shared?", choices=[("", "Choose one"), *Disclosure.SharedVia.choices]
    )
    shared_summary = forms.CharField(
        label="What was shared?", widget=forms.Textarea(attrs={"rows": 5})
    )
    documents = forms.ModelMultipleChoiceField(
        label="Documents issued",
        queryset=Document.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick every document handed over, so each one issued is on the record.",
    )
    backdate_reason = _backdate_reason()

    def __init__(self, *args: Any, documents: QuerySet[Document], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["documents"]
        field.queryset = documents  # type: ignore[attr-defined]
        field.label_from_instance = _document_label  # type: ignore[attr-defined]
        self.fields["shared_at"].initial = _now_local


def _document_label(document: Document) -> str:
    uploaded = date_format(timezone.localtime(document.uploaded_at), "j M Y")
    return f"{document.overview} ({document.original_name}, uploaded {uploaded})"


CHILD_INFORMED = [("yes", "Yes, the child was told"), ("no", "No, the child was not told")]


class ChildInformedForm(forms.Form):
    informed = forms.ChoiceField(
        label="Was the child told who is involved and what was shared?",
        choices=CHILD_INFORMED,
        widget=forms.RadioSelect,
    )
    # Now, as every date and time starts: ignored when the child was not told.
    informed_at = LocalDateTimeField(
        label="When was the child told?",
        required=False,
        help_text="If the child was told.",
        initial=_now_local,
    )
    informed_by = forms.CharField(
        label="Who told the child?",
        max_length=200,
        required=False,
        help_text="If the child was told: their name and role.",
    )
    reason_not_informed = forms.CharField(
        label="Why was the child not told?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="If the child was not told, for example: telling them would put them at risk "
        "or prejudice a police investigation.",
    )
    backdate_reason = _backdate_reason()
