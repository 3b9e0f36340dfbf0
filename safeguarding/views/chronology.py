"""A pupil's chronology: the case file in the order things happened, with filters."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from safeguarding.forms.concerns import ContactForm, CorrectionForm
from safeguarding.models import AccessAction, Category, ChronologyEntry, Pupil
from safeguarding.permissions import Reader, chronology_visible, pupil_get_for_reader, reader_for
from safeguarding.services.chronology import chronology_correct
from safeguarding.services.concerns import contact_record
from safeguarding.views.concerns import _person
from trustplatform.fields import BoundedDateField, IdField, form_errors_text
from trustplatform.permissions import Capability, require
from trustplatform.schooldays.calendar import LONDON


class ChronologyFilter(forms.Form):
    category = IdField(required=False, label="Category")
    kind = forms.ChoiceField(
        required=False, label="Kind", choices=[("", "All"), *ChronologyEntry.Kind.choices]
    )
    since = BoundedDateField(required=False, label="From")
    until = BoundedDateField(required=False, label="To")


def chronology_entries(
    reader: Reader, pupil: Pupil, filters: dict[str, object]
) -> QuerySet[ChronologyEntry]:
    """The entries this reader may see, oldest first, each marked when a correction replaced it.

    One query whatever the number of entries: everything shown is on the entry row itself.
    """
    entries = chronology_visible(reader, pupil).annotate(
        is_superseded=Exists(ChronologyEntry.objects.filter(supersedes=OuterRef("pk")))
    )
    if not reader.reads_everything:
        # Earlier versions are for those who read everything; others see the current text
        # (docs/rules.md, "Corrections").
        entries = entries.filter(is_superseded=False)
    if filters.get("category"):
        entries = entries.filter(category_ids__contains=[filters["category"]])
    if filters.get("kind"):
        entries = entries.filter(kind=filters["kind"])
    if isinstance(since := filters.get("since"), dt.date):
        entries = entries.filter(occurred_at__gte=dt.datetime.combine(since, dt.time(0), LONDON))
    if isinstance(until := filters.get("until"), dt.date):
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), LONDON)
        entries = entries.filter(occurred_at__lt=end)
    return entries.order_by("occurred_at", "id")


@require(Capability.SEARCH_RECORDS)
@require_GET
def pupil_chronology(request: HttpRequest, pupil_id: int) -> HttpResponse:
    reader = reader_for(request)
    if reader is None:
        raise Http404
    pupil = pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=request)
    form = ChronologyFilter(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    # Filters not understood: the whole chronology, with a message naming each filter and why.
    return render(
        request,
        "safeguarding/chronology/page.html",
        {
            "pupil": pupil,
            "entries": chronology_entries(reader, pupil, filters),
            "filters": request.GET,
            "kinds": ChronologyEntry.Kind.choices,
            # A key holder filters by the categories they were granted, and learns of no other.
            "categories": Category.objects.filter(retired_at__isnull=True).filter(
                Q() if reader.reads_everything else Q(pk__in=reader.category_ids)
            ),
            "contact_form": ContactForm(),
            "correction_form": CorrectionForm(),
            "filter_error": ""
            if form.is_valid()
            else f"Some filters were not understood and are ignored. {form_errors_text(form)}",
        },
    )


@require(Capability.MANAGE_CASES)
@require_POST
def contact_add(request: HttpRequest, pupil_id: int) -> HttpResponse:
    pupil = pupil_get_for_reader(reader=reader_for(request), pupil_id=pupil_id, request=request)
    form = ContactForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Give the date and time and a summary.")
        data = form.cleaned_data
        contact_record(
            pupil=pupil,
            author=_person(request),
            kind=ChronologyEntry.Kind(data["kind"]),
            occurred_at=data["occurred_at"],
            summary=data["summary"],
            agency=data["agency"],
            person=data["person"],
            participants=data["participants"],
        )
        messages.success(request, "Added to the chronology.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("safeguarding:pupil_chronology", pupil_id=pupil.pk)


@require(Capability.CORRECT_ENTRIES)
@require_POST
def entry_correct(request: HttpRequest, entry_id: int) -> HttpResponse:
    reader = reader_for(request)
    entry = ChronologyEntry.objects.filter(pk=entry_id).select_related("pupil").first()
    if entry is None or reader is None:
        raise Http404
    pupil_get_for_reader(reader=reader, pupil_id=entry.pupil_id, request=request)
    form = CorrectionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Give the corrected text and the reason.")
        chronology_correct(
            entry=entry,
            author=_person(request),
            body=form.cleaned_data["body"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, "Correction added; the earlier version is kept.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("safeguarding:pupil_chronology", pupil_id=entry.pupil_id)


@require(Capability.SEARCH_RECORDS)
@require_POST
def chronology_printed(request: HttpRequest, pupil_id: int) -> HttpResponse:
    """The page's Print button posts here before the browser prints: the print is logged
    (docs/rules.md, "The access log"). No content: the page stays as it is."""
    pupil_get_for_reader(
        reader=reader_for(request), pupil_id=pupil_id, request=request, action=AccessAction.PRINTED
    )
    return HttpResponse(status=204)
