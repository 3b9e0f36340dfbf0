"""Allegations against staff: the restricted record, its versions, and the case manager setting.

Open to the DSL and headteacher (never the adult concerned), and to the case manager the school
named for allegations about the headteacher: that allegation only, after two-factor
(docs/security.md, "Need to know").
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeguarding.forms.concerns import AllegationUpdateForm
from safeguarding.models import AccessAction, Allegation, AllegationVersion
from safeguarding.permissions import reader_for
from safeguarding.selectors.allegations import (
    allegation_get_for_case_manager,
    allegation_get_for_reader,
    allegation_versions,
)
from safeguarding.selectors.retention import allegation_retention_until
from safeguarding.services.access import access_log_record
from safeguarding.services.allegations import (
    allegation_case_manager_set,
    allegation_record_update,
    allegation_settings_get,
    case_manager_candidates,
)
from safeguarding.views.common import acting_person, acting_user, error_text
from tenants.selectors import school_of_request_or_404
from trustplatform.accounts.models import Role
from trustplatform.permissions import (
    Capability,
    Decision,
    can,
    decide,
    refusal,
    require,
    roles_here,
    two_factor_passed,
)


def _allegation_for(request: HttpRequest, concern_id: int) -> Allegation | Decision:
    """The allegation, if this user handles it; else the refusal to give (404 when not theirs)."""
    if not request.user.is_authenticated:
        return Decision.LOGIN_REQUIRED
    if decide(request, Capability.MANAGE_ALLEGATIONS) is Decision.TWO_FACTOR_REQUIRED:
        return Decision.TWO_FACTOR_REQUIRED
    found = allegation_get_for_reader(reader=reader_for(request), concern_id=concern_id)
    if found is not None:
        return found
    # The case manager: a member here, named on this allegation when it was recorded.
    found = allegation_get_for_case_manager(user_id=acting_user(request).pk, concern_id=concern_id)
    if found is None or not roles_here(request):
        return Decision.DENIED
    if not two_factor_passed(request):
        return Decision.TWO_FACTOR_REQUIRED
    return found


def require_allegation_handler(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Like `require`, for the allegation's own handlers: the view gets the allegation."""

    @wraps(view)
    def wrapped(request: HttpRequest, concern_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
        found = _allegation_for(request, concern_id)
        if isinstance(found, Decision):
            return refusal(request, found)
        return view(request, found, *args, **kwargs)

    wrapped.required_capability = Capability.MANAGE_ALLEGATIONS  # type: ignore[attr-defined]
    return wrapped


@require_allegation_handler
@require_GET
def allegation_detail(request: HttpRequest, allegation: Allegation) -> HttpResponse:
    concern = allegation.concern
    pupils = list(concern.pupils.all())
    me = acting_person(request)
    for pupil in pupils:  # one entry per child named on the page, as for a concern
        access_log_record(
            person=me,
            action=AccessAction.VIEWED_RECORD,
            object_type="allegation",
            object_id=allegation.pk,
            pupil_id=pupil.pk,
            request=request,
        )
    versions = allegation_versions(allegation)
    retention_until, retention_why = allegation_retention_until(allegation)
    return render(
        request,
        "safeguarding/concerns/allegation.html",
        {
            "concern": concern,
            "allegation": allegation,
            "pupils": pupils,
            "versions": versions,
            "current": versions[-1] if versions else None,
            "outcomes": AllegationVersion.Outcome.choices,
            "retention_until": retention_until,
            "retention_why": retention_why,
            "manages_retention": can(request, Capability.MANAGE_RETENTION),
        },
    )


@require_allegation_handler
@require_POST
def allegation_update(request: HttpRequest, allegation: Allegation) -> HttpResponse:
    form = AllegationUpdateForm(request.POST)
    if not form.is_valid():
        problems = " ".join(
            f"{form.fields[name].label}: {' '.join(map(str, errors))}"
            for name, errors in form.errors.items()
        )
        messages.error(request, f"Nothing was saved. {problems}")
        return redirect("safeguarding:allegation_detail", concern_id=allegation.concern_id)
    data = form.cleaned_data

    def given(name: str) -> Any:
        return data[name] if name in request.POST else None

    try:
        allegation_record_update(
            allegation=allegation,
            actor=acting_person(request),
            lado_referred_at=timezone.now() if data["lado_referred"] else None,
            lado_reference=given("lado_reference"),
            outcome=given("outcome") or None,
            notes=given("notes"),
            adult_date_of_birth=data["adult_date_of_birth"],
        )
        messages.success(request, "Saved as a new version; the earlier ones are kept.")
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("safeguarding:allegation_detail", concern_id=allegation.concern_id)


@require(Capability.MANAGE_ALLEGATIONS)
@require_http_methods(["GET", "POST"])
def allegation_case_manager(request: HttpRequest) -> HttpResponse:
    """The DSL names the case manager for allegations about the headteacher: not the head."""
    if Role.DSL not in roles_here(request):
        raise Http404
    school = school_of_request_or_404(request)
    if request.method == "POST":
        chosen = request.POST.get("case_manager", "")
        try:
            allegation_case_manager_set(
                school=school,
                actor=acting_user(request),
                user_id=int(chosen) if chosen.isdigit() else None,
            )
            messages.success(request, "The case manager is saved.")
            return redirect("safeguarding:allegation_case_manager")
        except ValidationError as error:
            messages.error(request, error_text(error))
    return render(
        request,
        "safeguarding/concerns/case_manager.html",
        {"settings": allegation_settings_get(), "candidates": case_manager_candidates(school)},
    )
