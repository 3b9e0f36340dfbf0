"""The trust portal on the root domain: schools and their DSLs. Counts and names of staff only,
never a child's data."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tenants import services as schools
from tenants.addresses import site_host, site_host_as_requested, site_url_as_requested
from tenants.models import Trust
from trustplatform.accounts.forms import AssignDslForm
from trustplatform.accounts.models import DslHandoverRequest, Role
from trustplatform.accounts.selectors import (
    dsl_handover_pending,
    school_dsl_membership,
    trust_people,
)
from trustplatform.accounts.services import school_dsl_assign, totp_reset
from trustplatform.forms import error_text, form_errors_add
from trustplatform.permissions import Capability, acting_user, require, trust_for_capability
from trustplatform.portal.forms import (
    DslTrainingForm,
    SchoolCreateForm,
    SchoolDomainForm,
    SchoolRenameForm,
)
from trustplatform.portal.selectors import (
    trust_lead_membership_get,
    trust_school_get,
    trust_school_rows,
)
from trustplatform.portal.services import dsl_training_record, trust_school_add


def _trust(request: HttpRequest, action: Capability) -> Trust:
    trust = trust_for_capability(request, action)
    if trust is None:  # the decorator already checked; defensive
        raise Http404
    return trust


@require(Capability.VIEW_TRUST_PORTAL)
def portal_home(request: HttpRequest) -> HttpResponse:
    trust = _trust(request, Capability.VIEW_TRUST_PORTAL)
    rows = trust_school_rows(trust=trust, today=timezone.localdate())
    return render(
        request,
        "portal/home.html",
        {
            "trust": trust,
            "rows": [
                (row, site_url_as_requested(request, row.school), site_host(row.school))
                for row in rows
            ],
        },
    )


@require(Capability.MANAGE_SCHOOLS)
@require_http_methods(["GET", "POST"])
def school_create(request: HttpRequest) -> HttpResponse:
    trust = _trust(request, Capability.MANAGE_SCHOOLS)
    form = SchoolCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            school = trust_school_add(trust=trust, actor=acting_user(request), **form.cleaned_data)
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(
                request,
                f"{school.name} has been created at {site_host_as_requested(request, school)}. "
                "Now name its Designated Safeguarding Lead.",
            )
            return redirect("portal:school_dsl", school_id=school.pk)
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": "Add a school",
            "intro": (
                f"The school gets its own site at <subdomain>.{settings.BASE_DOMAIN} and "
                "its own separate store of records. Next you name its DSL."
            ),
            "submit": "Create school",
        },
    )


@require(Capability.MANAGE_SCHOOLS)
@require_http_methods(["GET", "POST"])
def school_domain(request: HttpRequest, school_id: int) -> HttpResponse:
    trust = _trust(request, Capability.MANAGE_SCHOOLS)
    school = trust_school_get(trust=trust, school_id=school_id)
    form = SchoolDomainForm(request.POST or None, initial={"slug": school.slug})
    if request.method == "POST" and form.is_valid():
        try:
            school = schools.school_domain_change(
                school=school, slug=form.cleaned_data["slug"], actor=acting_user(request)
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(
                request,
                f"{school.name} is now at {site_host_as_requested(request, school)}. "
                "Its old address no longer works: tell the school's staff.",
            )
            return redirect("portal:home")
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": f"Change the subdomain of {school.name}",
            "intro": (
                f"The site is now at {site_host_as_requested(request, school)}. "
                "After the change the old address stops working at once, and everyone signs in "
                "again on the new one."
            ),
            "submit": "Change subdomain",
        },
    )


@require(Capability.MANAGE_SCHOOLS)
@require_http_methods(["GET", "POST"])
def school_rename(request: HttpRequest, school_id: int) -> HttpResponse:
    trust = _trust(request, Capability.MANAGE_SCHOOLS)
    school = trust_school_get(trust=trust, school_id=school_id)
    old_name = school.name
    form = SchoolRenameForm(request.POST or None, initial={"name": school.name})
    if request.method == "POST" and form.is_valid():
        try:
            school = schools.school_rename(
                school=school, name=form.cleaned_data["name"], actor=acting_user(request)
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, f"{old_name} is now called {school.name}.")
            return redirect("portal:home")
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": f"Rename {old_name}",
            "intro": (
                "The new name shows on the school's site, its reports and the trust's "
                "statistics at once. Its address and records do not change."
            ),
            "submit": "Rename school",
        },
    )


def _school_status_change(request: HttpRequest, school_id: int, *, suspend: bool) -> HttpResponse:
    trust = _trust(request, Capability.MANAGE_SCHOOLS)
    school = trust_school_get(trust=trust, school_id=school_id)
    if request.method == "POST":
        if suspend:
            schools.school_suspend(school=school, actor=acting_user(request))
            messages.success(request, f"{school.name} is suspended. No records were removed.")
        else:
            schools.school_reactivate(school=school, actor=acting_user(request))
            messages.success(request, f"{school.name} is active again.")
        return redirect("portal:home")
    return render(
        request, "portal/school_status_confirm.html", {"target_school": school, "suspend": suspend}
    )


@require(Capability.MANAGE_SCHOOLS)
@require_http_methods(["GET", "POST"])
def school_suspend(request: HttpRequest, school_id: int) -> HttpResponse:
    return _school_status_change(request, school_id, suspend=True)


@require(Capability.MANAGE_SCHOOLS)
@require_http_methods(["GET", "POST"])
def school_reactivate(request: HttpRequest, school_id: int) -> HttpResponse:
    return _school_status_change(request, school_id, suspend=False)


@require(Capability.ASSIGN_SCHOOL_DSL)
@require_http_methods(["GET", "POST"])
def school_dsl(request: HttpRequest, school_id: int) -> HttpResponse:
    trust = _trust(request, Capability.ASSIGN_SCHOOL_DSL)
    school = trust_school_get(trust=trust, school_id=school_id)
    current = school_dsl_membership(school=school)
    pending = dsl_handover_pending(school=school)
    form = AssignDslForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            named = school_dsl_assign(
                school=school,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                actor=acting_user(request),
                request=request,
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            if isinstance(named, DslHandoverRequest):
                messages.success(
                    request,
                    f"The new DSL of {school.name} waits for the headteacher or the current DSL "
                    "to confirm it on the school's site; they have been emailed.",
                )
            else:
                messages.success(request, f"{school.name} has a new DSL; they have been emailed.")
            return redirect("portal:home")
    if current is None:
        intro = "This school has no DSL yet. The person you name becomes its DSL."
    else:
        # The current DSL is never replaced without the school: docs/security.md.
        intro = (
            f"The current DSL is {current.user.full_name}. The person you name replaces them "
            "only once the school's headteacher or the current DSL confirms it on the school's "
            "site; both are emailed."
        )
        if pending is not None:
            intro += f" {pending.nominee.full_name} is already named and waits; naming again "
            intro += "replaces that."
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": f"Designated Safeguarding Lead of {school.name}",
            "intro": intro,
            "submit": "Assign DSL" if current is None else "Name the new DSL",
        },
    )


@require(Capability.RESET_USER_TWO_FACTOR)
def two_factor_people(request: HttpRequest) -> HttpResponse:
    """The people of the trust's schools with two-factor on: the trust admin resets what a school
    may not (someone with more access than the school's DSL)."""
    trust = _trust(request, Capability.RESET_USER_TWO_FACTOR)
    people = (
        trust_people(trust=trust)
        .exclude(totp_confirmed_at=None)
        .exclude(pk=acting_user(request).pk)
    )
    return render(request, "portal/two_factor_people.html", {"trust": trust, "people": people})


@require(Capability.RESET_USER_TWO_FACTOR)
@require_POST
def two_factor_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    trust = _trust(request, Capability.RESET_USER_TWO_FACTOR)
    # Someone outside the trust is as missing as someone who does not exist.
    person = trust_people(trust=trust).filter(pk=user_id).first()
    if person is None:
        raise Http404
    try:
        totp_reset(user=person, actor=acting_user(request), trust=trust, request=request)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"{person.full_name} must set up two-factor again.")
    return redirect("portal:two_factor_people")


@require(Capability.ASSIGN_SCHOOL_DSL)
@require_http_methods(["GET", "POST"])
def dsl_training(request: HttpRequest, membership_id: int) -> HttpResponse:
    trust = _trust(request, Capability.ASSIGN_SCHOOL_DSL)
    membership = trust_lead_membership_get(trust=trust, membership_id=membership_id)
    form = DslTrainingForm(request.POST or None, initial={"trained_on": membership.dsl_training_on})
    if request.method == "POST" and form.is_valid():
        try:
            dsl_training_record(
                membership=membership,
                trained_on=form.cleaned_data["trained_on"],
                actor=acting_user(request),
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, f"DSL training of {membership.user.full_name} recorded.")
            return redirect("portal:home")
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": f"DSL training of {membership.user.full_name}",
            "intro": (
                f"{Role(membership.role).label} of {membership.school.name}. KCSIE asks for DSL "
                "training to be refreshed at least every two years."
            ),
            "submit": "Save training date",
        },
    )
