"""A pupil's chronology: the case file in the order things happened, with filters, and the pages
that record on it."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeguarding.forms.chronology import (
    ChildInformedForm,
    ChronologyFilter,
    ContactForm,
    NoteForm,
    RecordForm,
)
from safeguarding.forms.concerns import CorrectionForm
from safeguarding.models import AccessAction, ChronologyEntry, Pupil, Source
from safeguarding.permissions import reader_for, reader_required
from safeguarding.selectors.categories import categories_visible
from safeguarding.selectors.chronology import (
    Cursor,
    chronology_entry_get_for_reader,
    chronology_run,
)
from safeguarding.selectors.pupils import pupil_get_for_reader
from safeguarding.services.chronology import (
    Person,
    child_informed_record,
    chronology_correct,
    note_record,
)
from safeguarding.services.concerns import contact_record
from safeguarding.views.common import acting_person, form_errors_add
from trustplatform.fields import form_errors_text
from trustplatform.permissions import Capability, can, require
from trustplatform.schooldays.calendar import LONDON

# The page opens on the latest entries, "Load older entries" bringing the run before them: a
# hundred covers most of a school year of a busy case, and renders in a few milliseconds.
CHRONOLOGY_RUN_SIZE = 100
_SOURCES = dict(Source.choices)


def _entry_html(e: ChronologyEntry, *, entry_url: str, concern_url: str, may_correct: bool) -> str:
    """One entry of the list, as HTML. Written here rather than in a template: the template engine
    resolving some thirty variables an entry, a hundred entries a screen, was most of the page's
    time (bench/chronology.py). Every value from the record goes through `esc`."""
    when = e.occurred_at.astimezone(LONDON)
    recorded = e.recorded_at.astimezone(LONDON)
    recorded_text = f"{recorded.day} {recorded:%b %Y %H:%M}"
    superseded = getattr(e, "is_superseded", False)
    d = e.details or {}
    parts = [
        f'<li class="entry entry--{esc(e.kind)}{" entry--superseded" if superseded else ""}" '
        f'id="entry-{e.pk}" tabindex="-1">'
        f'<p class="entry-when"><time datetime="{when.isoformat()}">{when:%a} {when.day} '
        f"{when:%b %Y, %H:%M}</time> — <strong>{esc(e.title)}</strong></p>"
    ]
    if e.body:
        parts.append(f'<div class="entry-body">{_lines(e.body)}</div>')
    if d.get("agency") or d.get("person"):
        agency = f", {esc(d['agency'])}" if d.get("agency") else ""
        parts.append(f'<p class="hint">Call: {esc(d.get("person", ""))}{agency}</p>')
    if d.get("participants"):
        parts.append(f'<p class="hint">Participants: {esc(d["participants"])}</p>')
    if d.get("written_by"):
        parts.append(f'<p class="hint">Written by {esc(d["written_by"])}</p>')
    if d.get("told_by") and e.kind == ChronologyEntry.Kind.CHILD_INFORMED:
        parts.append(f'<p class="hint">Told by {esc(d["told_by"])}</p>')
    if d.get("child_views"):
        parts.append(f'<p class="hint">The child\'s views: {_lines(d["child_views"])}</p>')
    if e.supersedes_id:
        parts.append(
            f'<p class="hint">Corrected on {recorded_text} by {esc(e.author_name)}, reason: '
            f"{esc(e.correction_reason)}</p>"
        )
    meta = (
        f"Recorded {recorded_text} by {esc(e.author_name)} ({esc(e.author_role)}) · "
        f"{esc(_SOURCES.get(e.source, e.source))}"
    )
    if e.backdate_reason:
        meta += f" · recorded later because: {esc(e.backdate_reason)}"
    if e.supersedes_id:
        meta += f" · <strong>correction</strong> of an earlier version: {esc(e.correction_reason)}"
    if superseded:
        meta += " · <strong>superseded</strong> by a correction"
    parts.append(f'<p class="entry-meta">{meta}</p>')
    if may_correct and not superseded:
        url = (
            concern_url.format(e.concern_id)
            if e.kind == ChronologyEntry.Kind.CONCERN and e.concern_id
            else entry_url.format(e.pk)
        )
        parts.append(f'<p class="entry-actions"><a href="{url}">Correct</a></p>')
    parts.append("</li>")
    return "".join(parts)


def esc(value: object) -> str:
    # The standard library's escape, as Django's own (which also turns ' into &#x27;), without
    # the lazy-string wrapper that Django's adds to every call.
    return html.escape(str(value), quote=True)


def _lines(text: str) -> str:
    return esc(text).replace("\r\n", "\n").replace("\n", "<br>")


def _entries_html(entries: list[ChronologyEntry], *, may_correct: bool) -> SafeString:
    # URLs built from one reversed pattern each, not a reverse() an entry.
    entry_url = reverse("safeguarding:entry_correct", args=[0]).replace("/0/", "/{}/")
    concern_url = reverse("safeguarding:concern_correct", args=[0]).replace("/0/", "/{}/")
    return mark_safe(  # noqa: S308  (every value escaped by _entry_html)
        "\n".join(
            _entry_html(e, entry_url=entry_url, concern_url=concern_url, may_correct=may_correct)
            for e in entries
        )
    )


@require(Capability.SEARCH_RECORDS)
@require_GET
def pupil_chronology(request: HttpRequest, pupil_id: int) -> HttpResponse:
    """The latest entries, or (?before=) the run just before an entry: a page of its own without
    JavaScript, appended in place with it (only the entries and the next link are sent)."""
    reader = reader_required(request)
    pupil = pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=request)
    form = ChronologyFilter(request.GET)
    # Filters not understood: the whole chronology, with a message naming each filter and why.
    filters = form.cleaned_data if form.is_valid() else {}
    before = Cursor.parse(request.GET.get("before", ""))
    entries, older = chronology_run(reader, pupil, filters, size=CHRONOLOGY_RUN_SIZE, before=before)
    older_query = ""
    if older is not None:
        params = request.GET.copy()
        params["before"] = str(older)
        older_query = params.urlencode()
    latest_query = request.GET.copy()
    latest_query.pop("before", None)
    context: dict[str, Any] = {
        "pupil": pupil,
        "entries_html": _entries_html(
            entries, may_correct=can(request, Capability.CORRECT_ENTRIES)
        ),
        "count": len(entries),
        "older_query": older_query,
        "latest_query": latest_query.urlencode(),
        "before": before,
        "run_size": CHRONOLOGY_RUN_SIZE,
    }
    if before is not None and request.headers.get("X-Requested-With") == "fetch":
        return render(request, "safeguarding/chronology/_older.html", context)
    return render(
        request,
        "safeguarding/chronology/page.html",
        context
        | {
            "filters": request.GET,
            "kinds": ChronologyEntry.Kind.choices,
            # A key holder filters by the categories they were granted, and learns of no other.
            "categories": categories_visible(reader),
            "filter_error": ""
            if form.is_valid()
            else f"Some filters were not understood and are ignored. {form_errors_text(form)}",
        },
    )


@dataclass(frozen=True)
class RecordPage:
    """A recording page of the chronology: its form, heading and hint, the service that records
    what it posts, and the draft form it is saved as while typed (none: not saved)."""

    form_class: type[RecordForm]
    heading: str
    hint: str
    record: Callable[..., ChronologyEntry]
    draft_form: str = ""


def _contact(*, pupil: Pupil, author: Person, data: dict[str, Any]) -> ChronologyEntry:
    return contact_record(
        pupil=pupil,
        author=author,
        kind=ChronologyEntry.Kind(data["kind"]),
        occurred_at=data["occurred_at"],
        backdate_reason=data["backdate_reason"],
        summary=data["summary"],
        agency=data["agency"],
        person=data["person"],
        participants=data["participants"],
        attachments=[data["attachments"]] if data.get("attachments") else [],
        notes_overview=data["notes_overview"],
    )


def _note(*, pupil: Pupil, author: Person, data: dict[str, Any]) -> ChronologyEntry:
    return note_record(
        pupil=pupil,
        author=author,
        occurred_at=data["occurred_at"],
        backdate_reason=data["backdate_reason"],
        title=data["title"],
        body=data["body"],
    )


def _child_informed(*, pupil: Pupil, author: Person, data: dict[str, Any]) -> ChronologyEntry:
    return child_informed_record(
        pupil=pupil,
        author=author,
        occurred_at=data["occurred_at"],
        backdate_reason=data["backdate_reason"],
        told_by=data["told_by"],
        how=data["how"],
        child_views=data["child_views"],
    )


def _record_page(request: HttpRequest, pupil_id: int, *, page: RecordPage) -> HttpResponse:
    """A recording form on a page of its own. A refused form comes back with every value as
    typed and the reason beside the field (a file chosen must be chosen again)."""
    pupil = pupil_get_for_reader(reader=reader_for(request), pupil_id=pupil_id, request=request)
    form_class = page.form_class
    initial = {"kind": request.GET.get("kind", "")} if form_class is ContactForm else {}
    # Bound on every POST, an empty one too, so that it is refused field by field.
    posted = request.method == "POST"
    form = form_class(
        request.POST if posted else None, request.FILES if posted else None, initial=initial
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                entry = page.record(
                    pupil=pupil, author=acting_person(request), data=form.cleaned_data
                )
            except ValidationError as error:
                form_errors_add(form, error)
            else:
                messages.success(request, "Added to the chronology.")
                url = reverse("safeguarding:pupil_chronology", args=[pupil.pk])
                return redirect(f"{url}#entry-{entry.pk}")
        else:
            form.add_error(None, "Some answers need another look: see the fields marked below.")
    return render(
        request,
        "safeguarding/chronology/record.html",
        {
            "pupil": pupil,
            "form": form,
            "heading": page.heading,
            "hint": page.hint,
            # A call or meeting is saved as a draft while typed (safeguarding/services/drafts.py).
            "draft_url": reverse("safeguarding:draft", args=[page.draft_form, pupil.pk])
            if page.draft_form
            else "",
        },
    )


RECORD_PAGES: dict[str, RecordPage] = {
    "contact": RecordPage(
        ContactForm,
        "Add a telephone call or meeting",
        "A meeting's notes or minutes may be uploaded with it: the document takes the "
        "meeting's date and time on the chronology.",
        _contact,
        draft_form="contact",
    ),
    "note": RecordPage(
        NoteForm,
        "Add a note",
        "Something known about the child that is not a concern, a call or a meeting.",
        _note,
    ),
    "child_informed": RecordPage(
        ChildInformedForm,
        "Record that the child was told",
        "Who told the child, what they were told and how, and what the child said.",
        _child_informed,
    ),
}


@require(Capability.MANAGE_CASES)
@require_http_methods(["GET", "POST"])
def record_add(request: HttpRequest, pupil_id: int, page: str) -> HttpResponse:
    """Adds a call or meeting, a note, or that the child was told: `page` names the row of
    RECORD_PAGES (given by the URL pattern)."""
    return _record_page(request, pupil_id, page=RECORD_PAGES[page])


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
