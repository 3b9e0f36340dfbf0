"""The trust portal on the root domain: schools and their DSLs. Counts and names of staff only,
never a child's data."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tenants.models import School, Trust
from tenants.services import school_domain_name
from trustplatform.accounts.forms import AssignDslForm
from trustplatform.accounts.models import Role, SchoolMembership
from trustplatform.accounts.services import school_dsl_assign
from trustplatform.permissions import Action, require, trust_for_action


def _trust(request: HttpRequest, action: Action) -> Trust:
    trust = trust_for_action(request, action)
    if trust is None:  # the decorator already checked; defensive
        raise Http404
    return trust


@require(Action.VIEW_TRUST_PORTAL)
def portal_home(request: HttpRequest) -> HttpResponse:
    trust = _trust(request, Action.VIEW_TRUST_PORTAL)
    schools = list(School.objects.filter(trust=trust).order_by("name"))
    dsls = {
        m.school_id: m.user
        for m in SchoolMembership.objects.filter(school__in=schools, role=Role.DSL).select_related(
            "user"
        )
    }
    rows = [(school, dsls.get(school.pk)) for school in schools]
    return render(request, "portal/home.html", {"trust": trust, "rows": rows})


def _school_host(request: HttpRequest, school: School) -> str:
    port = request.get_port()
    host = school_domain_name(school.slug)
    return host if port in {"80", "443"} else f"{host}:{port}"


@require(Action.ASSIGN_SCHOOL_DSL)
@require_http_methods(["GET", "POST"])
def school_dsl_assign_view(request: HttpRequest, school_id: int) -> HttpResponse:
    trust = _trust(request, Action.ASSIGN_SCHOOL_DSL)
    school = School.objects.filter(pk=school_id, trust=trust).first()
    if school is None:  # another trust's school: the same 404 as a missing one
        raise Http404
    current = (
        SchoolMembership.objects.filter(school=school, role=Role.DSL).select_related("user").first()
    )
    form = AssignDslForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            school_dsl_assign(
                school=school,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                actor=request.user,  # type: ignore[arg-type]
                host=_school_host(request, school),
                scheme=request.scheme or "https",
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(request, f"{school.name} has a new DSL; they have been emailed.")
            return redirect("portal:home")
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": f"Designated Safeguarding Lead of {school.name}",
            "intro": (
                f"The current DSL is {current.user.full_name}. The person you name replaces them; "
                "they keep a staff role."
                if current
                else "This school has no DSL yet. The person you name becomes its DSL."
            ),
            "submit": "Assign DSL",
        },
    )
