from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from safeguarding.models import AccessAction
from safeguarding.selectors.access import access_log_list
from safeguarding.selectors.categories import category_list_current
from safeguarding.services.alerts import alerts_undelivered
from trustplatform.fields import BoundedDateField, IdField, form_errors_text
from trustplatform.permissions import Capability, can, require


@require_GET
def school_home(request: HttpRequest) -> HttpResponse:
    """The school's front page: its name, and for signed-in staff what they may do here.

    Screeners also see alert emails the outbox gave up on, so that they tell those people.
    """
    undelivered = (
        alerts_undelivered()
        if request.user.is_authenticated and can(request, Capability.SCREEN_CONCERNS)
        else []
    )
    return render(request, "safeguarding/home.html", {"alerts_undelivered": undelivered})


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
