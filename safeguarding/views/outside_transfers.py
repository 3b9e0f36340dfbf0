"""Sending a child's file to a school outside the trust (docs/transfers.md, "Outside the trust").

The DSL and the deputies only (Capability.TRANSFER_FILES); anyone else gets a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeguarding.forms.outside_transfers import (
    OutsideTransferReceiptForm,
    OutsideTransferSentForm,
    OutsideTransferStartForm,
)
from safeguarding.permissions import reader_for, reader_required
from safeguarding.selectors.outside_transfers import outside_transfer_get_for_reader
from safeguarding.selectors.pupils import pupil_get_for_reader, pupil_get_unlogged
from safeguarding.services.outside_transfers import (
    OUTSIDE_TRANSFER_SCHOOL_DAYS,
    outside_transfer_receipt,
    outside_transfer_sent,
    outside_transfer_start,
)
from safeguarding.views.common import error_text
from tenants.selectors import school_of_request_or_404
from trustplatform.fields import form_errors_text
from trustplatform.permissions import Capability, require


@require(Capability.TRANSFER_FILES)
@require_http_methods(["GET", "POST"])
def outside_transfer_start_page(request: HttpRequest, pupil_id: int) -> HttpResponse:
    reader = reader_required(request)
    school = school_of_request_or_404(request)
    if request.method == "GET":
        pupil = pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=request)
        form = OutsideTransferStartForm()
    else:
        # The service writes the two exports to the access log itself.
        pupil = pupil_get_unlogged(reader=reader, pupil_id=pupil_id)
        form = OutsideTransferStartForm(request.POST)
        if form.is_valid():
            try:
                started = outside_transfer_start(
                    reader=reader,
                    school=school,
                    pupil=pupil,
                    receiving_school=form.cleaned_data["receiving_school"],
                    moved_on=form.cleaned_data["moved_on"],
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error_text(error))
            else:
                # The one time the password is shown: in this response, never stored, never in
                # the session or a message, and the page is not cached.
                response = render(
                    request,
                    "safeguarding/outside_transfers/password.html",
                    {"transfer": started.transfer, "password": started.password},
                )
                response["Cache-Control"] = "no-store"
                return response
    return render(
        request,
        "safeguarding/outside_transfers/start.html",
        {"pupil": pupil, "form": form, "days": OUTSIDE_TRANSFER_SCHOOL_DAYS},
    )


@require(Capability.TRANSFER_FILES)
@require_GET
def outside_transfer_detail(request: HttpRequest, transfer_id: int) -> HttpResponse:
    transfer = outside_transfer_get_for_reader(reader=reader_for(request), transfer_id=transfer_id)
    return render(
        request,
        "safeguarding/outside_transfers/detail.html",
        {
            "transfer": transfer,
            "overdue": not transfer.is_received and transfer.due_at < timezone.now(),
            "sent_form": OutsideTransferSentForm(),
            "receipt_form": OutsideTransferReceiptForm(),
        },
    )


@require(Capability.TRANSFER_FILES)
@require_POST
def outside_transfer_sent_record(request: HttpRequest, transfer_id: int) -> HttpResponse:
    reader = reader_required(request)
    transfer = outside_transfer_get_for_reader(reader=reader, transfer_id=transfer_id)
    form = OutsideTransferSentForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
    else:
        try:
            outside_transfer_sent(
                reader=reader,
                transfer=transfer,
                sent_on=form.cleaned_data["sent_on"],
                sent_how=form.cleaned_data["sent_how"],
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, "The sending is recorded.")
    return redirect("safeguarding:outside_transfer_detail", transfer_id=transfer.pk)


@require(Capability.TRANSFER_FILES)
@require_POST
def outside_transfer_receipt_record(request: HttpRequest, transfer_id: int) -> HttpResponse:
    reader = reader_required(request)
    transfer = outside_transfer_get_for_reader(reader=reader, transfer_id=transfer_id)
    form = OutsideTransferReceiptForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
    else:
        try:
            outside_transfer_receipt(
                reader=reader,
                transfer=transfer,
                received_on=form.cleaned_data["received_on"],
                signed_by=form.cleaned_data["signed_by"],
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, "The receipt is recorded.")
    return redirect("safeguarding:outside_transfer_detail", transfer_id=transfer.pk)
