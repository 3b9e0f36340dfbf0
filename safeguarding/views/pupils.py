"""Pupil pages: the pupil list and record for readers of child records; enrolment, editing, family
links and the MIS import for whoever imports pupils; the name search used while recording.

Messages put in `django.contrib.messages` never name a pupil: they are kept in the session or a
cookie, and a child's name must not leave the school's schema
(docs/rules.md, "Child data stays in its school").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeguarding.forms.pupils import (
    FamilyLinkForm,
    PupilFilterForm,
    PupilFlagForm,
    PupilForm,
    PupilImportForm,
    UpnLookupForm,
)
from safeguarding.models import AccessAction, Pupil, YearGroup
from safeguarding.permissions import Reader, reader_required
from safeguarding.selectors.chronology import chronology_entries
from safeguarding.selectors.concerns import concerns_visible
from safeguarding.selectors.documents import documents_visible
from safeguarding.selectors.outside_transfers import outside_transfers_of_pupil
from safeguarding.selectors.pupil_sync import pupil_history
from safeguarding.selectors.pupils import (
    pupil_family,
    pupil_family_visible,
    pupil_get_for_reader,
    pupil_get_unlogged,
    pupil_list_for_reader,
    pupils_on_roll_named,
)
from safeguarding.selectors.sharing import disclosures_of_pupil
from safeguarding.services.access import access_log_record
from safeguarding.services.pupil_import import (
    HEADINGS,
    MAX_BYTES,
    REQUIRED_FOR_NEW,
    ImportPreview,
    pupil_import_apply,
    pupil_import_preview,
)
from safeguarding.services.pupils import (
    family_link_add,
    family_link_remove,
    field_label,
    flag_since_field,
    pupil_create,
    pupil_flag_change,
    pupil_update,
    upn_normalise,
)
from safeguarding.views.common import acting_person, acting_user, error_text, form_errors_add
from tenants.db import school_connection
from tenants.selectors import school_of_request_or_404
from trustplatform.confirm import confirmation_page
from trustplatform.permissions import Capability, require
from trustplatform.transfers.selectors import (
    transfer_pending_of_pupil,
    transfer_received_of_pupil,
)

PAGE_SIZE = 50
# While recording a concern: enough to find a child, too few to browse the school's roll.
SEARCH_LIMIT = 20
SEARCH_MIN_LENGTH = 2
# A preview is confirmed within the idle timeout of a child-data session, or uploaded again.
IMPORT_PREVIEW_MAX_AGE = 30 * 60
SESSION_IMPORT_RESULT = "pupil_import_result"


# --- for readers of child records ---------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@require(Capability.SEARCH_RECORDS)
def pupil_list(request: HttpRequest) -> HttpResponse:
    """The pupils this reader may see, searchable by name or UPN.

    A search by name or UPN is a POST (CSRF-checked) whose results are rendered straight away,
    and its pages are asked for by POST too: a child's name or UPN typed here never goes in a
    URL, so never into browser history, server or proxy logs, or a Referer. It is not kept in
    the session either (the public schema holds no child data). GET serves the whole list and
    the filters that identify nobody (year group, on roll or leavers), which may stay in the
    query string; a `q` in a query string is ignored.

    Listing names is a search, not the opening of a record: the access log is written when a
    pupil is opened from here (`?from=search`), not for the list.
    """
    reader = reader_required(request)
    year_groups = [
        (value, label)
        for value, label in YearGroup.choices
        if reader.reads_everything or value in reader.year_groups
    ]
    searching = request.method == "POST"
    data = request.POST if searching else request.GET.copy()
    if not searching:
        data.pop("q", None)  # an old link's name is not searched for, nor shown back
    form = PupilFilterForm(data, year_groups=year_groups)
    filters: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    status = filters.get("status") or "on_roll"
    year_group = filters.get("year_group")
    query = (filters.get("q") or "").strip() if searching else ""
    pupils = pupil_list_for_reader(reader, status=status, year_group=year_group, query=query)
    page = Paginator(pupils, PAGE_SIZE).get_page(data.get("page"))
    # Pages of a search by name are POSTed with the filters as hidden fields; pages of the
    # list without one are links carrying the filters that identify nobody.
    query_string = QueryDict(mutable=True)
    if year_group is not None:
        query_string["year_group"] = str(year_group)
    query_string["status"] = status
    return render(
        request,
        "safeguarding/pupils/list.html",
        {
            "page_obj": page,
            "filters": {
                "q": query,
                "year_group": year_group,
                "status": status,
            },
            "year_groups": year_groups,
            "statuses": PupilFilterForm.base_fields["status"].choices,  # type: ignore[attr-defined]
            "query": query_string.urlencode(),
            "error": "" if form.is_valid() else "Some filters were not understood and are ignored.",
            "grant_is_empty": not reader.reads_everything and not reader.year_groups,
        },
    )


# The child's page shows the newest few of each record and links to the whole.
RECENT = 5


@never_cache
@require_GET
@require(Capability.SEARCH_RECORDS)
def pupil_detail(request: HttpRequest, pupil_id: int) -> HttpResponse:
    """A child's page: who they are, their flags with dates, and the newest of their records,
    each section only for those who may read it. Opening it is written to the access log."""
    reader = reader_required(request)
    # The list is a search: a record opened from it is logged as an opened search result.
    action = (
        AccessAction.OPENED_SEARCH_RESULT
        if request.GET.get("from") == "search"
        else AccessAction.VIEWED_RECORD
    )
    pupil = pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=request, action=action)
    return _detail_page(request, reader, pupil)


def _detail_page(
    request: HttpRequest,
    reader: Reader,
    pupil: Pupil,
    *,
    flag_form: tuple[str, PupilFlagForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    links = pupil_family(pupil)
    # Relatives the reader may not see are counted, so they know to ask the DSL, but not named.
    shown = pupil_family_visible(reader, links)
    # Every section reads through the selectors that decide what this reader may see: a key
    # holder's grants, allegations never shown to the adult they are about.
    chronology = chronology_entries(reader, pupil, {})
    documents = documents_visible(reader, pupil)
    concerns = (
        concerns_visible(reader)
        .filter(pupils=pupil, superseded_by__isnull=True)
        .prefetch_related("categories")
        .order_by("-occurred_at", "-pk")
    )
    disclosures = disclosures_of_pupil(pupil) if reader.reads_everything else None
    return render(
        request,
        "safeguarding/pupils/detail.html",
        {
            "pupil": pupil,
            "flags": _safeguarding_flags(pupil, flag_form),
            "mis_flags": [(field_label(name), getattr(pupil, name)) for name in Pupil.FLAG_FIELDS],
            # The MIS-owned fields' changes: the pupil's history, not the chronology.
            "history": pupil_history(pupil),
            "chronology": list(chronology.order_by("-occurred_at", "-id")[:RECENT]),
            "chronology_count": chronology.count(),
            "concerns": list(concerns[:RECENT]),
            "concern_count": concerns.count(),
            "documents": list(documents[:RECENT]),
            "document_count": documents.count(),
            "disclosures": None if disclosures is None else list(disclosures[:RECENT]),
            "disclosure_count": 0 if disclosures is None else disclosures.count(),
            "family": shown,
            "family_hidden": len(links) - len(shown),
            "family_form": FamilyLinkForm(),
            "back": "detail",
            # Looked up only when the page shows them (the DSL and deputies, docs/transfers.md).
            "transfer_receipt": lambda: transfer_received_of_pupil(
                school=school_of_request_or_404(request), pupil_id=pupil.pk
            ),
            "outside_transfers": lambda: outside_transfers_of_pupil(reader=reader, pupil=pupil),
            "transfer_pending": lambda: transfer_pending_of_pupil(
                school=school_of_request_or_404(request), pupil_id=pupil.pk
            ),
        },
        status=status,
    )


def _safeguarding_flags(
    pupil: Pupil, flag_form: tuple[str, PupilFlagForm] | None
) -> list[dict[str, Any]]:
    flags = []
    for name in Pupil.SAFEGUARDING_FLAGS:
        form = (
            flag_form[1]
            if flag_form and flag_form[0] == name
            else PupilFlagForm(prefix=name, initial={"on_date": timezone.localdate()})
        )
        flags.append(
            {
                "name": name,
                "label": field_label(name),
                "on": getattr(pupil, name),
                "since": getattr(pupil, flag_since_field(name)),
                "form": form,
            }
        )
    return flags


@never_cache
@require_POST
@require(Capability.SET_PUPIL_FLAGS)
def pupil_flag_set(request: HttpRequest, pupil_id: int) -> HttpResponse:
    """Sets or ends one safeguarding flag from a date, with an optional note: a chronology entry.

    The flag is named in the POSTed form, never the URL: that a child has a child-protection
    plan is not for server or proxy logs.
    """
    reader = reader_required(request)
    pupil = pupil_get_unlogged(reader=reader, pupil_id=pupil_id)
    flag = request.POST.get("flag", "")
    if flag not in Pupil.SAFEGUARDING_FLAGS:
        messages.error(request, "Choose a flag from the list.")
        return redirect(reverse("safeguarding:pupil_detail", args=[pupil.pk]) + "#flags")
    set_on = request.POST.get("change") == "set"
    form = PupilFlagForm(request.POST, prefix=flag)
    if form.is_valid():
        try:
            pupil_flag_change(
                actor=reader.person,
                pupil=pupil,
                flag=flag,
                set_on=set_on,
                on_date=form.cleaned_data["on_date"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(
                request,
                f"{field_label(flag)} is {'set' if set_on else 'ended'}; "
                "the change is in the chronology.",
            )
            return redirect(reverse("safeguarding:pupil_detail", args=[pupil.pk]) + "#flags")
    # The page is shown again with what was typed and why it was refused: nothing is lost.
    # It shows the record, so it is a view of it (docs/rules.md, "The access log").
    access_log_record(
        person=reader.person,
        action=AccessAction.VIEWED_RECORD,
        object_type="pupil",
        object_id=pupil.pk,
        pupil_id=pupil.pk,
        request=request,
    )
    return _detail_page(request, reader, pupil, flag_form=(flag, form), status=400)


# --- for whoever imports pupils (the school's administrator) -----------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@require(Capability.IMPORT_PUPILS)
def pupil_manage(request: HttpRequest) -> HttpResponse:
    """Enrol, import, or find a pupil to change by UPN: no list of the school's children here.

    The UPN is POSTed, never put in a query string (browser history, proxy logs); a pupil found
    is opened by id.
    """
    form = UpnLookupForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        pupil = Pupil.objects.filter(upn=upn_normalise(form.cleaned_data["upn"])).first()
        if pupil is not None:
            return redirect("safeguarding:pupil_edit", pupil_id=pupil.pk)
        form.add_error("upn", "No pupil at this school has that UPN.")
    return render(request, "safeguarding/pupils/manage.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@require(Capability.IMPORT_PUPILS)
def pupil_enrol(request: HttpRequest) -> HttpResponse:
    form = PupilForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pupil = pupil_create(actor_id=acting_user(request).pk, **form.pupil_fields())
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "The pupil is enrolled. Add family links below if needed.")
            return redirect("safeguarding:pupil_edit", pupil_id=pupil.pk)
    return render(
        request,
        "safeguarding/pupils/form.html",
        {"form": form, "title": "Enrol a pupil", "submit": "Enrol the pupil"},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@require(Capability.IMPORT_PUPILS)
def pupil_edit(request: HttpRequest, pupil_id: int) -> HttpResponse:
    pupil = get_object_or_404(Pupil, pk=pupil_id)
    if request.method == "POST":
        form = PupilForm(request.POST)
        if form.is_valid():
            try:
                pupil_update(pupil=pupil, actor_id=acting_user(request).pk, **form.pupil_fields())
            except ValidationError as error:
                form_errors_add(form, error)
            else:
                messages.success(request, "The changes are saved.")
                return redirect("safeguarding:pupil_edit", pupil_id=pupil.pk)
    else:
        form = PupilForm(initial=PupilForm.initial_for(pupil))
        # The form shows the pupil's details, so opening it is a view of the record
        # (docs/rules.md, "The access log").
        access_log_record(
            person=acting_person(request),
            action=AccessAction.VIEWED_RECORD,
            object_type="pupil",
            object_id=pupil.pk,
            pupil_id=pupil.pk,
            request=request,
        )
    return render(
        request,
        "safeguarding/pupils/form.html",
        {
            "form": form,
            "pupil": pupil,
            "title": "Change a pupil's details",
            "submit": "Save the changes",
            "family": pupil_family(pupil),
            "family_hidden": 0,
            "family_form": FamilyLinkForm(),
            "back": "edit",
        },
    )


def _back_to(request: HttpRequest, pupil: Pupil) -> str:
    # One of two known pages, never a URL from the request: no open redirect.
    name = "pupil_detail" if request.POST.get("back") == "detail" else "pupil_edit"
    return reverse(f"safeguarding:{name}", kwargs={"pupil_id": pupil.pk})


@require_POST
@require(Capability.IMPORT_PUPILS)
def pupil_relative_add(request: HttpRequest, pupil_id: int) -> HttpResponse:
    pupil = get_object_or_404(Pupil, pk=pupil_id)
    form = FamilyLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the relative's UPN and choose the relationship.")
        return redirect(_back_to(request, pupil))
    relative = Pupil.objects.filter(upn=upn_normalise(form.cleaned_data["relative_upn"])).first()
    if relative is None:
        messages.error(request, "No pupil at this school has that UPN.")
        return redirect(_back_to(request, pupil))
    try:
        family_link_add(
            pupil=pupil, relative=relative, relationship=form.cleaned_data["relationship"]
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, "The family link is saved.")
    return redirect(_back_to(request, pupil))


@require_POST
@require(Capability.IMPORT_PUPILS)
def pupil_relative_remove(request: HttpRequest, pupil_id: int, relative_id: int) -> HttpResponse:
    pupil = get_object_or_404(Pupil, pk=pupil_id)
    relative = get_object_or_404(Pupil, pk=relative_id)
    if asked := confirmation_page(
        request,
        title="Remove this family link?",
        consequence=(
            f"{pupil.display_name} and {relative.display_name} will no longer be shown as family."
        ),
        confirm_label="Yes, remove the link",
        back_url=_back_to(request, pupil),
    ):
        return asked
    try:
        family_link_remove(pupil=pupil, relative=relative)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, "The family link is removed.")
    return redirect(_back_to(request, pupil))


# --- the MIS import -----------------------------------------------------------------------------
#
# The confirm step needs the previewed rows again. They are not kept in the session: sessions
# live in the public schema, which never holds a child's name or UPN
# (docs/rules.md, "Child data stays in its school"). Instead the
# parsed rows go back to the browser that uploaded them, in a hidden field signed (HMAC with
# SECRET_KEY) for this school and this user, compressed, and valid for 30 minutes: the server
# keeps nothing, and what is confirmed is exactly what was previewed — a changed field fails the
# signature. The rows are checked once more against the pupils as they are at confirmation.


def _import_salt(request: HttpRequest) -> str:
    return f"safeguarding.pupil_import:{school_connection.schema_name}:{acting_user(request).pk}"


def _token_fits(token: str) -> bool:
    # The hidden field comes back as a form field, which Django caps at this size.
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return limit is None or len(token) < limit - 10_000


@never_cache
@require_http_methods(["GET", "POST"])
@require(Capability.IMPORT_PUPILS)
def pupil_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV file and see what importing it would do. Nothing is written here."""
    form = PupilImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            form.add_error(
                "file", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it."
            )
        else:
            try:
                preview = pupil_import_preview(upload.read())
            except ValidationError as error:
                form.add_error("file", error)
            else:
                return _preview_page(request, preview)
    result = request.session.pop(SESSION_IMPORT_RESULT, None) if request.method == "GET" else None
    columns = [
        (spellings[0], spellings[1:], name in REQUIRED_FOR_NEW or name == "upn")
        for name, spellings in HEADINGS.items()
    ]
    return render(
        request,
        "safeguarding/pupils/import_upload.html",
        {"form": form, "result": result, "columns": columns},
    )


def _preview_page(request: HttpRequest, preview: ImportPreview) -> HttpResponse:
    token = ""
    problem = ""
    if not preview.has_errors and preview.changes_anything:
        token = signing.dumps(preview.to_payload(), salt=_import_salt(request), compress=True)
        if not _token_fits(token):
            token = ""
            problem = "This file is too large to confirm in one go: split it into smaller files."
    return render(
        request,
        "safeguarding/pupils/import_preview.html",
        {"preview": preview, "token": token, "problem": problem},
    )


@never_cache
@require_POST
@require(Capability.IMPORT_PUPILS)
def pupil_import_confirm(request: HttpRequest) -> HttpResponse:
    """Imports the rows previewed a moment ago, all of them or none."""
    try:
        payload = signing.loads(
            request.POST.get("token", ""),
            salt=_import_salt(request),
            max_age=IMPORT_PREVIEW_MAX_AGE,
        )
    except signing.BadSignature:  # also an expired one
        messages.error(
            request, "That preview has expired or could not be read: upload the file again."
        )
        return redirect("safeguarding:pupil_import")
    try:
        preview = ImportPreview.from_payload(payload)
        person = acting_person(request)
        result = pupil_import_apply(preview, actor_id=person.user_id, actor_name=person.name)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("safeguarding:pupil_import")
    # Counts only: the session is in the public schema, which holds no child data.
    request.session[SESSION_IMPORT_RESULT] = {
        "run_id": result.run_id,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "leavers": result.leavers,
    }
    return redirect("safeguarding:pupil_import")


# --- while recording a concern (any member of staff) -------------------------------------------


@never_cache
@require_POST
@require(Capability.RECORD_CONCERN)
def pupil_search(request: HttpRequest) -> HttpResponse:
    """An HTML fragment for HTMX: pupils on roll by name, with name, year group and form only.

    POST, not GET: a name typed here must not end up in server or proxy logs as a query string.
    No record is opened, so nothing is written to the access log; staff see no more than they
    need to tick the right child.
    """
    query = request.POST.get("q", "").strip()[:100]
    pupils: list[Pupil] = []
    more = False
    if len(query) >= SEARCH_MIN_LENGTH:
        pupils = list(pupils_on_roll_named(query)[: SEARCH_LIMIT + 1])
        more = len(pupils) > SEARCH_LIMIT
        pupils = pupils[:SEARCH_LIMIT]
    return render(
        request,
        "safeguarding/pupils/_search_results.html",
        {
            "pupils": pupils,
            "query": query,
            "too_short": len(query) < SEARCH_MIN_LENGTH,
            "more": more,
            "limit": SEARCH_LIMIT,
        },
    )
