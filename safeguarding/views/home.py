from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from safeguarding.models import AccessAction
from safeguarding.permissions import reader_for
from safeguarding.selectors.access import access_log_list
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
    user = IdField(required=False, label="User")
    pupil = IdField(required=False, label="Pupil")
    since = BoundedDateField(required=False, label="From")
    until = BoundedDateField(required=False, label="To")


@require_GET
@require(Capability.VIEW_ACCESS_LOG)
def access_log(request: HttpRequest) -> HttpResponse:
    """The DSL reads and filters the school's access log. Read-only by design.

    docs/rules.md, "The access log".
    """
    form = AccessLogFilter(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = access_log_list(
        action=filters.get("action") or None,
        user_id=filters.get("user"),
        pupil_id=filters.get("pupil"),
        since=filters.get("since"),
        until=filters.get("until"),
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "safeguarding/access_log.html",
        {
            "page_obj": page,
            "filters": request.GET,
            "actions": AccessAction.choices,
            "query": query.urlencode(),
            "error": ""
            if form.is_valid()
            else f"Some filters were not understood and are ignored. {form_errors_text(form)}",
        },
    )
