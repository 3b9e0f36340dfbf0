"""A pupil's chronology: the case file in the order things happened, with filters."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeguarding.forms.chronology import ChronologyFilter
from safeguarding.forms.concerns import ContactForm, CorrectionForm
from safeguarding.models import AccessAction, ChronologyEntry
from safeguarding.permissions import reader_for, reader_required
from safeguarding.selectors.categories import categories_visible
from safeguarding.selectors.chronology import chronology_entries, chronology_entry_get_for_reader
from safeguarding.selectors.pupils import pupil_get_for_reader
from safeguarding.services.chronology import chronology_correct
from safeguarding.services.concerns import contact_record
from safeguarding.views.common import acting_person, error_text, form_errors_add
from trustplatform.fields import form_errors_text
from trustplatform.permissions import Capability, require

# A page of a busy chronology: the latest entries come first, earlier ones a link away. Showing
# a thousand entries at once took most of a second to render.
CHRONOLOGY_PAGE_SIZE = 50
# Far beyond any child's chronology (half a million entries); a larger ?page= is read as this one
# (an empty page), never handed to the database as an offset out of its range.
CHRONOLOGY_LAST_PAGE = 10_000


def _page_of(
    entries: QuerySet[ChronologyEntry], request: HttpRequest
) -> tuple[list[ChronologyEntry], str, str]:
    """The requested page (?page=1 the latest entries), read in the order things happened, and
    the query strings of the older and newer pages ("" when there is none), filters kept.

    One query, whatever the length of the chronology: one more row than a page tells whether
    older entries exist, without counting them all.
    """
    try:
        number = min(max(int(request.GET.get("page", "1")), 1), CHRONOLOGY_LAST_PAGE)
    except ValueError:
        number = 1
    start = (number - 1) * CHRONOLOGY_PAGE_SIZE
    latest_first = list(entries.reverse()[start : start + CHRONOLOGY_PAGE_SIZE + 1])
    has_older = len(latest_first) > CHRONOLOGY_PAGE_SIZE

    def query(page: int) -> str:
        params = request.GET.copy()
        params["page"] = str(page)
        return params.urlencode()

    return (
        latest_first[:CHRONOLOGY_PAGE_SIZE][::-1],
        query(number + 1) if has_older else "",
        query(number - 1) if number > 1 else "",
    )


@require(Capability.SEARCH_RECORDS)
@require_GET
def pupil_chronology(request: HttpRequest, pupil_id: int) -> HttpResponse:
    reader = reader_required(request)
    pupil = pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=request)
    form = ChronologyFilter(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    # Filters not understood: the whole chronology, with a message naming each filter and why.
    entries, older, newer = _page_of(chronology_entries(reader, pupil, filters), request)
    return render(
        request,
        "safeguarding/chronology/page.html",
        {
            "pupil": pupil,
            "entries": entries,
            "older_query": older,
            "newer_query": newer,
            "page_size": CHRONOLOGY_PAGE_SIZE,
            "filters": request.GET,
            "kinds": ChronologyEntry.Kind.choices,
            # A key holder filters by the categories they were granted, and learns of no other.
            "categories": categories_visible(reader),
            "contact_form": ContactForm(),
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
            author=acting_person(request),
            kind=ChronologyEntry.Kind(data["kind"]),
            occurred_at=data["occurred_at"],
            summary=data["summary"],
            agency=data["agency"],
            person=data["person"],
            participants=data["participants"],
        )
        messages.success(request, "Added to the chronology.")
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("safeguarding:pupil_chronology", pupil_id=pupil.pk)


@require(Capability.CORRECT_ENTRIES)
@require_http_methods(["GET", "POST"])
def entry_correct(request: HttpRequest, entry_id: int) -> HttpResponse:
    """One entry and the form for its corrected text; the chronology links here from each entry
    rather than carrying a form under every one of them."""
    entry = chronology_entry_get_for_reader(
        reader=reader_for(request), entry_id=entry_id, request=request
    )
    form = CorrectionForm(request.POST or None, initial={"body": entry.body})
    if request.method == "POST" and form.is_valid():
        try:
            chronology_correct(
                entry=entry,
                author=acting_person(request),
                body=form.cleaned_data["body"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "Correction added; the earlier version is kept.")
            return redirect("safeguarding:pupil_chronology", pupil_id=entry.pupil_id)
    return render(request, "safeguarding/chronology/correct.html", {"entry": entry, "form": form})


@require(Capability.SEARCH_RECORDS)
@require_POST
def chronology_printed(request: HttpRequest, pupil_id: int) -> HttpResponse:
    """The page's Print button posts here before the browser prints: the print is logged
    (docs/rules.md, "The access log"). No content: the page stays as it is."""
    pupil_get_for_reader(
        reader=reader_for(request), pupil_id=pupil_id, request=request, action=AccessAction.PRINTED
    )
    return HttpResponse(status=204)
