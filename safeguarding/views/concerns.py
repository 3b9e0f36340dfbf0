"""Recording a concern (any member of staff), receipts, alerts, and the case pages of the DSL."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeguarding.body_map import drawings
from safeguarding.forms.concerns import (
    ActionForm,
    ConcernCorrectionForm,
    ConcernForm,
    OutcomeForm,
    ScreeningForm,
    StatusForm,
)
from safeguarding.models import AccessAction, Action, Alert, Concern, Document, Pupil, Source
from safeguarding.permissions import reader_required
from safeguarding.selectors.allegations import allegation_of_concern, concern_records_allegation
from safeguarding.selectors.categories import category_list_current
from safeguarding.selectors.concerns import (
    alerts_of_user,
    concern_current,
    concern_get_for_reader,
    concern_get_own,
    concern_inbox_for_reader,
    concern_moved_to,
    concern_versions,
    concerns_of_author,
)
from safeguarding.services import concerns as services
from safeguarding.services.access import access_log_record
from safeguarding.services.chronology import Person
from safeguarding.views.common import acting_person, acting_user, form_errors_add
from tenants.selectors import school_of_request_or_404
from trustplatform.accounts.models import Role, User
from trustplatform.permissions import Capability, require, roles_allowed


def _colleagues(request: HttpRequest, *, holding: Capability | None = None) -> list[User]:
    """The school's other active members; `holding`: only those whose role may do it."""
    members = User.objects.filter(
        school_memberships__school=school_of_request_or_404(request), is_active=True
    )
    if holding is not None:
        members = members.filter(school_memberships__role__in=sorted(roles_allowed(holding)))
    return list(
        members.exclude(pk=acting_user(request).pk).only("pk", "full_name").order_by("full_name")
    )


def _assignable(request: HttpRequest) -> list[User]:
    # A task names the pupil: a governor sees no child data, so is given none (docs/rules.md).
    return _colleagues(request, holding=Capability.VIEW_OWN_TASKS)


# --- recording ---------------------------------------------------------------------------------


@require(Capability.RECORD_CONCERN)
@require_http_methods(["GET", "POST"])
def concern_new(request: HttpRequest) -> HttpResponse:
    school = school_of_request_or_404(request)
    author = acting_person(request)
    transcriber = author.role in {Role.DSL, Role.DEPUTY_DSL}
    form = ConcernForm(request.POST or None, request.FILES or None, transcriber=transcriber)
    if request.method == "POST" and _body_map_changed_only(request):
        # Without JavaScript, adding or removing a mark posts the form: show it again, as typed.
        form = ConcernForm.redrawn(request.POST, transcriber=transcriber)
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            concern = services.concern_record(
                school=school,
                author=author,
                pupil_ids=data["pupils"],
                category_ids=data["categories"],
                account=data["account"],
                occurred_at=data["occurred_at"],
                backdate_reason=data["backdate_reason"],
                location=data["location"],
                action_taken=data["action_taken"],
                told_dsl_in_person=data["told_dsl_in_person"],
                body_map=data["body_map"],
                source=Source(data.get("source") or Source.DIRECT),
                original_author_name=data.get("original_author_name") or "",
                original_written_at=data.get("original_written_at"),
                notify_user_ids=data["notify"],
                adult_name=data["adult_name"],
                adult_role=data["adult_role"],
                adult_user_id=data["adult_user"],
                attachments=request.FILES.getlist("attachments"),
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "Your concern is recorded and the DSL has been alerted.")
            return redirect("safeguarding:concern_receipt", concern_id=concern.pk)
    # The lists are loaded only to draw the page, never to record: a good POST skips them.
    chosen_ids = [int(p) for p in request.POST.getlist("pupils") if p.isdigit()]
    return render(
        request,
        "safeguarding/concerns/new.html",
        {
            "form": form,
            # A police notification has its own page (safeguarding/views/encompass.py).
            "categories": list(category_list_current().exclude(code=services.ENCOMPASS_CODE)),
            "chosen": list(Pupil.objects.filter(pk__in=chosen_ids, leaving_date__isnull=True)),
            "colleagues": _colleagues(request),
            "ticked": set(request.POST.getlist("categories")),
            "notified": set(request.POST.getlist("notify")),
            "chosen_adult": request.POST.get("adult_user", ""),
            "body_map_drawings": drawings(form.body_marks),
        },
    )


def _body_map_changed_only(request: HttpRequest) -> bool:
    """The "Add mark" or a "Remove" button of the body map was pressed, not "Record concern"."""
    return "body_map_remove" in request.POST or request.POST.get("body_map_action") == "add"


@require(Capability.VIEW_OWN_RECEIPTS)
@require_GET
def concern_receipt(request: HttpRequest, concern_id: int) -> HttpResponse:
    """The author's receipt: what they recorded and when. Never the case that follows."""
    concern = concern_get_own(author_id=acting_user(request).pk, concern_id=concern_id)
    # A file attached to a concern about several children is kept on each child's record: the
    # author attached it once, so it is named once.
    attached = [d.original_name for d in _each_file_once(concern.documents.order_by("id"))]
    return render(
        request, "safeguarding/concerns/receipt.html", {"concern": concern, "attached": attached}
    )


@require(Capability.VIEW_OWN_RECEIPTS)
@require_GET
def my_concerns(request: HttpRequest) -> HttpResponse:
    concerns = concerns_of_author(author_id=acting_user(request).pk)
    return render(request, "safeguarding/concerns/mine.html", {"concerns": concerns})


# --- alerts ------------------------------------------------------------------------------------


@require(Capability.VIEW_CATEGORY_GUIDANCE)
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    mine = alerts_of_user(user_id=acting_user(request).pk)[:100]
    return render(request, "safeguarding/concerns/alerts.html", {"alerts": mine})


# --- the case (DSL, deputies, headteacher; key holders as granted) -----------------------------


@require(Capability.SEARCH_RECORDS)
@require_GET
def concern_inbox(request: HttpRequest) -> HttpResponse:
    reader = reader_required(request)
    status = request.GET.get("status", "")
    concerns = concern_inbox_for_reader(reader, status=status)[:200]
    return render(
        request,
        "safeguarding/concerns/inbox.html",
        {"concerns": concerns, "status": status, "statuses": Concern.Status.choices},
    )


@require(Capability.SEARCH_RECORDS)
@require_GET
def concern_detail(request: HttpRequest, concern_id: int) -> HttpResponse:
    reader = reader_required(request)
    concern = concern_get_for_reader(reader=reader, concern_id=concern_id)
    if (current := concern_current(concern)) != concern:
        return redirect("safeguarding:concern_detail", concern_id=current.pk)
    return _detail_page(request, concern)


def _each_file_once(documents: Iterable[Document]) -> list[Document]:
    """A file attached to a concern about several children is kept on each child's record: it
    was attached once, so it is shown once."""
    return list({(d.original_name, d.sha256): d for d in reversed(list(documents))}.values())[::-1]


def _detail_page(
    request: HttpRequest,
    concern: Concern,
    *,
    screening_form: ScreeningForm | None = None,
    action_form: ActionForm | None = None,
    status_form: StatusForm | None = None,
    outcome_form: OutcomeForm | None = None,
    outcome_action_id: int | None = None,
) -> HttpResponse:
    """The concern page; after a refused form, that form as it was sent, with its errors, so
    nothing typed is lost (docs/rules.md, "Nothing typed is lost")."""
    reader = reader_required(request)
    pupils = list(concern.pupils.all())
    # One entry per child named on the page, so the DSL finds it when filtering by pupil.
    for pupil in pupils:
        access_log_record(
            person=reader.person,
            action=AccessAction.VIEWED_RECORD,
            object_type="concern",
            object_id=concern.pk,
            pupil_id=pupil.pk,
            request=request,
        )
    Alert.objects.filter(concern=concern, user_id=reader.user_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    colleagues = _assignable(request)
    allegation = allegation_of_concern(reader, concern)
    versions = concern_versions(concern, reader)
    # Files attached when it was recorded hang on its first version: shown on every later one.
    attached = _each_file_once(
        Document.objects.filter(concern__in=[v.pk for v in versions]).order_by("id")
    )
    return render(
        request,
        "safeguarding/concerns/detail.html",
        {
            # The receiving school's to act on: the page offers nothing to do here.
            "moved_to": concern_moved_to(concern, pupils),
            "attached": attached,
            "concern": concern,
            "pupils": pupils,
            "categories": concern.categories.all(),
            "actions": concern.actions.all(),
            "allegation": allegation,
            "versions": versions,
            "screening_form": screening_form
            or ScreeningForm(
                initial={"level": concern.level, "rationale": concern.level_rationale}
            ),
            "action_form": action_form or ActionForm(colleagues=colleagues),
            "outcome_form": outcome_form or OutcomeForm(),
            "outcome_action_id": outcome_action_id,
            "status_form": status_form or StatusForm(),
        },
    )


@require(Capability.CORRECT_ENTRIES)
@require_http_methods(["GET", "POST"])
def concern_correct(request: HttpRequest, concern_id: int) -> HttpResponse:
    """The DSL or a deputy writes a corrected version of a concern, with the reason."""
    concern = concern_get_for_reader(reader=reader_required(request), concern_id=concern_id)
    if (current := concern_current(concern)) != concern:
        return redirect("safeguarding:concern_correct", concern_id=current.pk)
    if concern_records_allegation(concern):
        raise Http404  # an allegation is corrected on its own record
    form = ConcernCorrectionForm(
        request.POST or None,
        initial={
            "account": concern.account,
            "location": concern.location,
            "action_taken": concern.action_taken,
        },
    )
    if request.method == "GET":
        _log_for_each_pupil(request, concern, AccessAction.VIEWED_RECORD)  # the form shows it
    if request.method == "POST" and form.is_valid():
        try:
            corrected = services.concern_correct(
                concern=concern,
                actor=acting_person(request),
                account=form.cleaned_data["account"],
                location=form.cleaned_data["location"],
                action_taken=form.cleaned_data["action_taken"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "Correction saved; the earlier version is kept.")
            return redirect("safeguarding:concern_detail", concern_id=corrected.pk)
    return render(request, "safeguarding/concerns/correct.html", {"concern": concern, "form": form})


@require(Capability.SEARCH_RECORDS)
@require_POST
def concern_printed(request: HttpRequest, concern_id: int) -> HttpResponse:
    """The concern page's Print button posts here before the browser prints: one entry per child
    on the page, as viewing it writes (docs/rules.md, "The access log")."""
    concern = concern_get_for_reader(reader=reader_required(request), concern_id=concern_id)
    _log_for_each_pupil(request, concern, AccessAction.PRINTED)
    return HttpResponse(status=204)


def _log_for_each_pupil(request: HttpRequest, concern: Concern, action: AccessAction) -> None:
    """One access-log entry per child on the concern, so the DSL finds it filtering by pupil."""
    reader = reader_required(request)
    for pupil in concern.pupils.all():
        access_log_record(
            person=reader.person,
            action=action,
            object_type="concern",
            object_id=concern.pk,
            pupil_id=pupil.pk,
            request=request,
        )


def _back(concern: Concern) -> HttpResponse:
    return redirect("safeguarding:concern_detail", concern_id=concern.pk)


@require(Capability.SCREEN_CONCERNS)
@require_POST
def concern_screen(request: HttpRequest, concern_id: int) -> HttpResponse:
    concern = concern_get_for_reader(reader=reader_required(request), concern_id=concern_id)
    form = ScreeningForm(request.POST)
    if form.is_valid():
        try:
            services.concern_screen(
                concern=concern,
                screener=acting_person(request),
                level=Concern.Level(form.cleaned_data["level"]),
                rationale=form.cleaned_data["rationale"],
                next_steps=form.cleaned_data["next_steps"],
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "Screening recorded.")
            return _back(concern)
    return _detail_page(request, concern, screening_form=form)


@require(Capability.MANAGE_CASES)
@require_POST
def action_add(request: HttpRequest, concern_id: int) -> HttpResponse:
    concern = concern_get_for_reader(reader=reader_required(request), concern_id=concern_id)
    colleagues = _assignable(request)
    form = ActionForm(request.POST, colleagues=colleagues)
    if form.is_valid():
        data = form.cleaned_data
        assignee = next((u for u in colleagues if u.pk == data["assignee"]), None)
        if data["assignee"] == acting_user(request).pk:
            assignee = acting_user(request)
        try:
            services.action_add(
                concern=concern,
                actor=acting_person(request),
                kind=Action.Kind(data["kind"]),
                description=data["description"],
                decision_rationale=data["decision_rationale"],
                assignee=Person(assignee.pk, assignee.full_name, "") if assignee else None,
                due_on=data["due_on"],
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "Action added to the case and the chronology.")
            return _back(concern)
    return _detail_page(request, concern, action_form=form)


@require(Capability.MANAGE_CASES)
@require_POST
def action_complete(request: HttpRequest, concern_id: int, action_id: int) -> HttpResponse:
    concern = concern_get_for_reader(reader=reader_required(request), concern_id=concern_id)
    action = Action.objects.filter(pk=action_id, concern=concern).first()
    if action is None:
        raise Http404
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            services.action_complete(
                action=action, actor=acting_person(request), outcome=form.cleaned_data["outcome"]
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "Action completed.")
            return _back(concern)
    return _detail_page(request, concern, outcome_form=form, outcome_action_id=action.pk)


@require(Capability.MANAGE_CASES)
@require_POST
def concern_status(request: HttpRequest, concern_id: int) -> HttpResponse:
    concern = concern_get_for_reader(reader=reader_required(request), concern_id=concern_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.concern_status_set(
                concern=concern,
                actor=acting_person(request),
                status=Concern.Status(form.cleaned_data["status"]),
                summary=form.cleaned_data["summary"],
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "Case status changed.")
            return _back(concern)
    return _detail_page(request, concern, status_form=form)
