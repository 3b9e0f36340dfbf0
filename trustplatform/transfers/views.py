"""Transfers on a school's site: started on the child's page by the sending school's DSL,
accepted or rejected by the receiving school's DSL or a deputy (docs/transfers.md)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from safeguarding.permissions import reader_required
from safeguarding.selectors.pupils import pupil_get_for_reader
from tenants.selectors import school_of_request_or_404
from trustplatform.permissions import Capability, acting_user, require
from trustplatform.transfers import selectors, services
from trustplatform.transfers.forms import SupplementForm, TransferRejectForm, TransferStartForm
from trustplatform.transfers.models import Transfer


@require(Capability.TRANSFER_FILES)
def transfer_list(request: HttpRequest) -> HttpResponse:
    school = school_of_request_or_404(request)
    transfers = selectors.transfers_of_school(school=school)
    return render(
        request,
        "transfers/list.html",
        {
            "incoming": [t for t in transfers if t.to_school_id == school.pk],
            "outgoing": [t for t in transfers if t.from_school_id == school.pk],
        },
    )


@require(Capability.TRANSFER_FILES)
@require_http_methods(["GET", "POST"])
def transfer_start_page(request: HttpRequest, pupil_id: int) -> HttpResponse:
    school = school_of_request_or_404(request)
    reader = reader_required(request)
    pupil = pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=request)
    form = TransferStartForm(
        request.POST or None, destinations=services.transfer_destinations(school=school)
    )
    if request.method == "POST" and form.is_valid():
        try:
            transfer = services.transfer_start(
                actor=acting_user(request),
                school=school,
                pupil=pupil,
                to_school_id=form.cleaned_data["to_school"].pk,
                moved_on=form.cleaned_data["moved_on"],
            )
        except services.TransferRefused as refused:
            form.add_error(None, refused.messages)
        else:
            messages.success(request, f"The file is waiting for {transfer.to_school.name}.")
            return redirect("transfers:detail", transfer.pk)
    return render(request, "transfers/start.html", {"pupil": pupil, "form": form})


@require(Capability.TRANSFER_FILES)
def transfer_detail(request: HttpRequest, transfer_id: int) -> HttpResponse:
    school = school_of_request_or_404(request)
    reader = reader_required(request)
    transfer = selectors.transfer_get_for_school(school=school, transfer_id=transfer_id)
    return render(
        request,
        "transfers/detail.html",
        {
            "transfer": transfer,
            "summary": selectors.transfer_pupil_summary(
                transfer=transfer, person=reader.person, request=request
            ),
            "receiving": transfer.to_school_id == school.pk,
            "pending": transfer.status == Transfer.Status.PENDING,
            "reject_form": TransferRejectForm(),
        },
    )


@require(Capability.TRANSFER_FILES)
@require_POST
def transfer_accept_page(request: HttpRequest, transfer_id: int) -> HttpResponse:
    school = school_of_request_or_404(request)
    try:
        transfer = services.transfer_accept(
            actor=acting_user(request), school=school, transfer_id=transfer_id
        )
    except ObjectDoesNotExist:
        raise Http404 from None
    except services.TransferRefused as refused:
        messages.error(request, " ".join(refused.messages))
        return redirect("transfers:detail", transfer_id)
    messages.success(request, "The file has arrived: its chronology is on the pupil's page.")
    return redirect(reverse("safeguarding:pupil_detail", args=[transfer.received_pupil_id]))


@require(Capability.TRANSFER_FILES)
@require_POST
def transfer_reject_page(request: HttpRequest, transfer_id: int) -> HttpResponse:
    school = school_of_request_or_404(request)
    form = TransferRejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the file is rejected.")
        return redirect("transfers:detail", transfer_id)
    try:
        services.transfer_reject(
            actor=acting_user(request),
            school=school,
            transfer_id=transfer_id,
            reason=form.cleaned_data["reason"],
        )
    except ObjectDoesNotExist:
        raise Http404 from None
    except services.TransferRefused as refused:
        messages.error(request, " ".join(refused.messages))
    return redirect("transfers:detail", transfer_id)


@require(Capability.TRANSFER_FILES)
@require_http_methods(["GET", "POST"])
def supplement_page(request: HttpRequest, pupil_id: int) -> HttpResponse:
    """Later information about a pupil whose file has moved: forwarded to the new school."""
    school = school_of_request_or_404(request)
    reader = reader_required(request)
    pupil = pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=request)
    if pupil.transferred_out_at is None:
        raise Http404
    form = SupplementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = services.supplement_record(
                actor=acting_user(request),
                school=school,
                pupil=pupil,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except services.TransferRefused as refused:
            form.add_error(None, refused.messages)
        else:
            messages.success(request, f"Recorded, and forwarded to {transfer.to_school.name}.")
            return redirect("transfers:detail", transfer.pk)
    return render(request, "transfers/supplement.html", {"pupil": pupil, "form": form})
