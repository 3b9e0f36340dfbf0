from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.postgres.forms import SimpleArrayField
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from safeguarding.models import AccessAction
from safeguarding.permissions import reader_for
from safeguarding.selectors.access import (
    AccessVisit,
    access_log_pupils,
    access_log_pupils_named,
    access_log_visits,
    school_staff,
)
from safeguarding.selectors.categories import category_list_current
from safeguarding.selectors.dashboard import dashboard_for
from safeguarding.services.alerts import alerts_undelivered
from tenants.selectors import school_of_request_or_404
from trustplatform.fields import BoundedDateField, IdField, form_errors_text
from trustplatform.permissions import Capability, acting_user, can, require, roles_here
from trustplatform.schooldays.calendar import calendar_of


@require_GET
def school_home(request: HttpRequest) -> HttpResponse:
    """The school's front page: its name, and for each member what waits for them here.

    Readers of records get a dashboard of what they may see (docs/rules.md, "Who reads which
    records"); other members their own tasks and alerts. Screeners also see alert emails the
    outbox gave up on, so that they tell those people.
    """
    if not request.user.is_authenticated or not roles_here(request):
        return render(request, "safeguarding/home.html", {})
    reader = reader_for(request)
    school = school_of_request_or_404(request)
    undelivered = alerts_undelivered() if can(request, Capability.SCREEN_CONCERNS) else []
    dashboard = dashboard_for(
        reader=reader,
        user_id=acting_user(request).pk,
        calendar=calendar_of(school) if reader is not None else None,
        now=timezone.now(),
        today=timezone.localdate(),
        school=school,
    )
    return render(
        request,
        "safeguarding/home.html",
        {
            "alerts_undelivered": undelivered,
            "dashboard": dashboard,
            "reader": reader,
            "now": timezone.now(),
            "today": timezone.localdate(),
        },
    )


@require_GET
@require(Capability.VIEW_CATEGORY_GUIDANCE)
def category_guidance(request: HttpRequest) -> HttpResponse:
    """What to record under each category: the guidance staff see while recording a concern."""
    return render(
        request, "safeguarding/category_guidance.html", {"categories": category_list_current()}
    )


class AccessLogFilter(forms.Form):
    action = forms.ChoiceField(
        required=False, label="Action", choices=[("", "Anything"), *AccessAction.choices]
    )
    user = IdField(required=False, label="Staff member")
    # Pupils by id only: a name is typed into the form, POSTed to `access_log_pupil` and never
    # put in a URL (docs/rules.md, "No side channels").
    pupil = SimpleArrayField(
        IdField(),
        required=False,
        label="Pupil",
        max_length=50,
        error_messages={"item_invalid": ""},  # the item's own message says it
    )
    since = BoundedDateField(required=False, label="From")
    until = BoundedDateField(required=False, label="To")


class AccessLogPupilName(forms.Form):
    # A form field refuses NUL characters and bounds the length before the database sees them.
    pupil_name = forms.CharField(required=False, max_length=100, label="Pupil's name")


# The filters other than the pupil's name, carried from the form to the log's address.
_ID_FILTERS = ("action", "user", "since", "until")


@require_GET
@require(Capability.VIEW_ACCESS_LOG)
def access_log(request: HttpRequest) -> HttpResponse:
    """The DSL reads and filters the school's access log. Read-only by design.

    docs/rules.md, "The access log".
    """
    form = AccessLogFilter(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    pupil_ids = filters.get("pupil") or None
    visits = access_log_visits(
        action=filters.get("action") or None,
        user_id=filters.get("user"),
        pupil_ids=pupil_ids,
        since=filters.get("since"),
        until=filters.get("until"),
    )
    paginator: Paginator[AccessVisit] = Paginator(visits, 50)  # type: ignore[arg-type]
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "safeguarding/access_log.html",
        {
            "page_obj": page,
            "filters": request.GET,
            "actions": AccessAction.choices,
            "staff": school_staff(school_of_request_or_404(request).pk),
            "pupils": access_log_pupils(pupil_ids) if pupil_ids else [],
            "query": query.urlencode(),
            "error": ""
            if form.is_valid()
            else f"Some filters were not understood and are ignored. {form_errors_text(form)}",
        },
    )


@require_POST
@require(Capability.VIEW_ACCESS_LOG)
def access_log_pupil(request: HttpRequest) -> HttpResponse:
    """The filter form: a pupil's name typed here becomes the ids of the pupils of this school it
    matches, and the log opens filtered by them. Writes nothing."""
    query = QueryDict(mutable=True)
    for name in _ID_FILTERS:
        if value := request.POST.get(name, "").strip():
            query[name] = value[:100]
    form = AccessLogPupilName(request.POST)
    if not form.is_valid():
        messages.error(request, f"The pupil's name could not be read. {form_errors_text(form)}")
    elif typed := form.cleaned_data["pupil_name"]:
        if pupils := access_log_pupils_named(typed):
            query["pupil"] = ",".join(str(p.pk) for p in pupils)
        else:
            messages.error(request, "No pupil of this school has a name matching what you typed.")
    elif kept := request.POST.get("pupil", "").strip():
        query["pupil"] = kept[:1000]
    address = reverse("safeguarding:access_log")
    return redirect(f"{address}?{query.urlencode()}" if query else address)
