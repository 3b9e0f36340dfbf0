from __future__ import annotations

from django import forms


def _date(label: str) -> forms.DateField:
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))


class OutsideTransferStartForm(forms.Form):
    receiving_school = forms.CharField(label="Receiving school (name and town)", max_length=200)
    moved_on = _date("Date of the move (or first day of the new term)")


class OutsideTransferSentForm(forms.Form):
    sent_on = _date("Date sent")
    sent_how = forms.CharField(
        label="How it was sent (secure email, recorded post, by hand)", max_length=200
    )


class OutsideTransferReceiptForm(forms.Form):
    received_on = _date("Date received, as on the signed receipt")
    signed_by = forms.CharField(label="Signed by (name and role)", max_length=200)
