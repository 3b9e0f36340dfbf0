"""Retention pages (docs/rules.md, "Retention"): the review queue and destruction certificates,
a record's retention with its holds, reviews and proposals, and the forms that act on them.

For the DSL, deputies and headteacher (Capability.MANAGE_RETENTION); which of them may do what
is the services' decision, refused with a message on the page. Missing and forbidden: a 404.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from safeguarding.models import Destruction
from safeguarding.permissions import reader_required
from safeguarding.selectors.pupils import pupil_get_for_reader
from safeguarding.selectors.retention import (
    destruction_certificates,
    destructions_of,
    legal_holds_of,
    retention_queue,
    reviews_of,
)
from safeguarding.services.retention import (
    destruction_approval_check,
    destruction_approve,
    destruction_propose,
    legal_hold_lift,
    legal_hold_place,
    legal_hold_standing,
    pupil_retention_until,
    pupil_review_due_on,
    retention_keep,
)
from safeguarding.views.common import error_text
from trustplatform.confirm import confirmation_page
from trustplatform.permissions import Capability, require


@require(Capability.MANAGE_RETENTION)
@require_GET
def retention_home(request: HttpRequest) -> HttpResponse:
    reader_required(request)
    return render(
        request,
        "safeguarding/retention/queue.html",
        {"queue": retention_queue(), "certificates": destruction_certificates()},
    )


@require(Capability.MANAGE_RETENTION)
@require_GET
def pupil_retention(request: HttpRequest, pupil_id: int) -> HttpResponse:
    reader = reader_required(request)
    pupil = pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=request)
    return render(
        request,
        "safeguarding/retention/pupil.html",
        {
            "pupil": pupil,
            "retention_until": pupil_retention_until(pupil),
            "review_due_on": pupil_review_due_on(pupil),
            "hold": legal_hold_standing(pupil.pk),
            "holds": legal_holds_of(pupil.pk),
            "reviews": reviews_of(pupil.pk),
            "destructions": destructions_of(pupil.pk),
            "reader": reader,
        },
    )


def _act(request: HttpRequest, pupil_id: int, what: str) -> HttpResponse:
    reader = reader_required(request)
    pupil = pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=None)
    reason = request.POST.get("reason", "")
    try:
        if what == "hold":
            legal_hold_place(reader=reader, pupil=pupil, reason=reason)
            messages.success(request, "Legal hold placed.")
        elif what == "lift":
            legal_hold_lift(reader=reader, pupil=pupil, reason=reason)
            messages.success(request, "Legal hold lifted.")
        elif what == "keep":
            try:
                next_on = dt.date.fromisoformat(request.POST.get("next_review_on", ""))
            except ValueError as exc:
                raise ValidationError("Give the date of the next review.") from exc
            retention_keep(reader=reader, pupil=pupil, reason=reason, next_review_on=next_on)
            messages.success(request, "The record is kept until its next review.")
        else:
            destruction_propose(reader=reader, pupil=pupil, reason=reason)
            messages.success(request, "Destruction proposed: a second person must approve it.")
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect("safeguarding:pupil_retention", pupil_id=pupil.pk)


@require(Capability.MANAGE_RETENTION)
@require_POST
def legal_hold_place_view(request: HttpRequest, pupil_id: int) -> HttpResponse:
    return _act(request, pupil_id, "hold")


@require(Capability.MANAGE_RETENTION)
@require_POST
def legal_hold_lift_view(request: HttpRequest, pupil_id: int) -> HttpResponse:
    return _act(request, pupil_id, "lift")


@require(Capability.MANAGE_RETENTION)
@require_POST
def retention_keep_view(request: HttpRequest, pupil_id: int) -> HttpResponse:
    return _act(request, pupil_id, "keep")


@require(Capability.MANAGE_RETENTION)
@require_POST
def destruction_propose_view(request: HttpRequest, pupil_id: int) -> HttpResponse:
    return _act(request, pupil_id, "propose")


@require(Capability.MANAGE_RETENTION)
@require_POST
def destruction_approve_view(request: HttpRequest, destruction_id: int) -> HttpResponse:
    reader = reader_required(request)
    destruction = Destruction.objects.filter(pk=destruction_id).first()
    if destruction is None:
        raise Http404
    back = reverse("safeguarding:pupil_retention", kwargs={"pupil_id": destruction.pupil_id})
    try:
        destruction_approval_check(reader=reader, destruction=destruction)
        if asked := confirmation_page(
            request,
            title="Destroy this record?",
            consequence=(
                "The child's chronology, concerns, documents and information sharing lose their "
                "content and their files are deleted, for good. A destruction certificate remains."
            ),
            confirm_label="Yes, destroy the record",
            back_url=back,
        ):
            return asked
        done = destruction_approve(reader=reader, destruction_id=destruction.pk)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect(back)
    messages.success(request, "The record was destroyed; its certificate remains.")
    return redirect("safeguarding:destruction_certificate", destruction_id=done.pk)


@require(Capability.MANAGE_RETENTION)
@require_GET
def destruction_certificate(request: HttpRequest, destruction_id: int) -> HttpResponse:
    reader_required(request)
    destruction = Destruction.objects.filter(
        pk=destruction_id, status=Destruction.Status.DESTROYED
    ).first()
    if destruction is None:
        raise Http404
    return render(request, "safeguarding/retention/certificate.html", {"certificate": destruction})
