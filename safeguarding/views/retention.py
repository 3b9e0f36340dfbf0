"""Retention pages (docs/rules.md, "Retention"): the review queue and destruction certificates,
a record's retention (a child's file or an allegation record) with its holds, reviews and
proposals, and the forms that act on them.

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

from safeguarding.models import Allegation, Destruction
from safeguarding.permissions import Reader, reader_required
from safeguarding.selectors.pupils import pupil_get_for_reader
from safeguarding.selectors.retention import (
    allegation_for_retention,
    allegation_retention_queue,
    allegation_retention_until,
    destruction_certificates,
    destructions_of,
    legal_holds_of,
    retention_queue,
    reviews_of,
)
from safeguarding.services.retention import (
    Retained,
    destruction_approval_check,
    destruction_approve,
    legal_hold_lift,
    legal_hold_place,
    legal_hold_standing,
    pupil_retention_until,
    retention_decide,
)
from safeguarding.views.common import error_text
from trustplatform.confirm import confirmation_page
from trustplatform.permissions import Capability, require


@require(Capability.MANAGE_RETENTION)
@require_GET
def retention_home(request: HttpRequest) -> HttpResponse:
    reader = reader_required(request)
    return render(
        request,
        "safeguarding/retention/queue.html",
        {
            "queue": retention_queue(),
            "allegations": allegation_retention_queue(reader=reader),
            "certificates": destruction_certificates(reader=reader),
        },
    )


def _record(request: HttpRequest, *, pupil_id: int | None, concern_id: int | None) -> Retained:
    """The record named in the URL, if this reader may see it; the same 404 otherwise."""
    reader = reader_required(request)
    if pupil_id is not None:
        return Retained(pupil=pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=None))
    allegation = allegation_for_retention(reader=reader, concern_id=concern_id or 0)
    if allegation is None:
        raise Http404
    return Retained(allegation=allegation)


def _record_page(request: HttpRequest, record: Retained) -> HttpResponse:
    reader = reader_required(request)
    if record.allegation is None:
        pupil = pupil_get_for_reader(reader=reader, pupil_id=record.target[1], request=request)
        kind, args = "", {"pupil_id": pupil.pk}
        until, why = pupil_retention_until(pupil), "date of birth + 25 years"
    else:
        kind, args = "allegation_", {"concern_id": record.allegation.concern_id}
        until, why = allegation_retention_until(record.allegation)
    return render(
        request,
        "safeguarding/retention/pupil.html",
        {
            "pupil": record.pupil,
            "allegation": record.allegation,
            "retention_until": until,
            "retention_why": why,
            "review_due_on": record.review_due_on(),
            "hold": legal_hold_standing(**record.key),
            "holds": legal_holds_of(**record.key),
            "reviews": reviews_of(**record.key),
            "destructions": destructions_of(**record.key),
            "urls": {
                what: reverse(f"safeguarding:{kind}{what}", kwargs=args)
                for what in (
                    "legal_hold_place",
                    "legal_hold_lift",
                    "retention_keep",
                    "destruction_propose",
                )
            },
            "reader": reader,
        },
    )


@require(Capability.MANAGE_RETENTION)
@require_GET
def pupil_retention(request: HttpRequest, pupil_id: int) -> HttpResponse:
    return _record_page(request, _record(request, pupil_id=pupil_id, concern_id=None))


@require(Capability.MANAGE_RETENTION)
@require_GET
def allegation_retention(request: HttpRequest, concern_id: int) -> HttpResponse:
    return _record_page(request, _record(request, pupil_id=None, concern_id=concern_id))


def _act(request: HttpRequest, what: str, **named: int) -> HttpResponse:
    reader = reader_required(request)
    record = _record(request, pupil_id=named.get("pupil_id"), concern_id=named.get("concern_id"))
    reason = request.POST.get("reason", "")
    try:
        if what == "hold":
            legal_hold_place(
                reader=reader, reason=reason, pupil=record.pupil, allegation=record.allegation
            )
            messages.success(request, "Legal hold placed.")
        elif what == "lift":
            legal_hold_lift(
                reader=reader, reason=reason, pupil=record.pupil, allegation=record.allegation
            )
            messages.success(request, "Legal hold lifted.")
        elif what == "keep":
            try:
                next_on = dt.date.fromisoformat(request.POST.get("next_review_on", ""))
            except ValueError as exc:
                raise ValidationError("Give the date of the next review.") from exc
            retention_decide(
                reader=reader,
                reason=reason,
                keep_until=next_on,
                pupil=record.pupil,
                allegation=record.allegation,
            )
            messages.success(request, "The record is kept until its next review.")
        else:
            retention_decide(
                reader=reader, reason=reason, pupil=record.pupil, allegation=record.allegation
            )
            messages.success(request, "Destruction proposed: a second person must approve it.")
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    if record.allegation is not None:
        return redirect("safeguarding:allegation_retention", concern_id=named["concern_id"])
    return redirect("safeguarding:pupil_retention", pupil_id=named["pupil_id"])


@require(Capability.MANAGE_RETENTION)
@require_POST
def legal_hold_place_view(request: HttpRequest, **named: int) -> HttpResponse:
    return _act(request, "hold", **named)


@require(Capability.MANAGE_RETENTION)
@require_POST
def legal_hold_lift_view(request: HttpRequest, **named: int) -> HttpResponse:
    return _act(request, "lift", **named)


@require(Capability.MANAGE_RETENTION)
@require_POST
def retention_keep_view(request: HttpRequest, **named: int) -> HttpResponse:
    return _act(request, "keep", **named)


@require(Capability.MANAGE_RETENTION)
@require_POST
def destruction_propose_view(request: HttpRequest, **named: int) -> HttpResponse:
    return _act(request, "propose", **named)


def _destruction_for(reader: Reader, destruction_id: int, *, status: str = "") -> Destruction:
    """A destruction (in `status` when given); one about an allegation only for those who
    handle it. The same 404 for missing and not theirs."""
    found = Destruction.objects.filter(pk=destruction_id)
    destruction = (found.filter(status=status) if status else found).first()
    if destruction is None:
        raise Http404
    if destruction.allegation_id is not None:
        concern_id = (
            Allegation.objects.filter(pk=destruction.allegation_id)
            .values_list("concern_id", flat=True)
            .first()
        )
        if allegation_for_retention(reader=reader, concern_id=concern_id or 0) is None:
            raise Http404
    return destruction


def _back_to(destruction: Destruction) -> str:
    if destruction.allegation_id is not None:
        concern_id = Allegation.objects.get(pk=destruction.allegation_id).concern_id
        return reverse("safeguarding:allegation_retention", kwargs={"concern_id": concern_id})
    return reverse("safeguarding:pupil_retention", kwargs={"pupil_id": destruction.pupil_id})


@require(Capability.MANAGE_RETENTION)
@require_POST
def destruction_approve_view(request: HttpRequest, destruction_id: int) -> HttpResponse:
    reader = reader_required(request)
    # Any status: a proposal withdrawn or carried out meanwhile is refused with its reason
    # (destruction_approval_check) on the record's page, not as a missing page.
    destruction = _destruction_for(reader, destruction_id)
    back = _back_to(destruction)
    try:
        destruction_approval_check(reader=reader, destruction=destruction)
        if asked := confirmation_page(
            request,
            title="Destroy this record?",
            consequence=(
                "The allegation record, its versions, its concern and actions lose their content, "
                "for good. A destruction certificate remains."
                if destruction.allegation_id is not None
                else "The child's chronology, concerns, documents and information sharing lose "
                "their content and their files are deleted, for good. A destruction certificate "
                "remains."
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
    reader = reader_required(request)
    destruction = _destruction_for(reader, destruction_id, status=Destruction.Status.DESTROYED)
    return render(request, "safeguarding/retention/certificate.html", {"certificate": destruction})
