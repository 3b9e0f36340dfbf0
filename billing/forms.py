"""Forms of billing: the operator's record of a payment."""

from __future__ import annotations

from django import forms


class PaymentForm(forms.Form):
    reference = forms.CharField(label="BACS reference", max_length=60)
    paid_on = forms.DateField(label="Paid on", widget=forms.DateInput(attrs={"type": "date"}))


class ExportForm(forms.Form):
    issued_from = forms.DateField(
        label="Issued from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    issued_to = forms.DateField(
        label="Issued to", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
