"""The school calendar on a school's site, and term dates for every school on the trust portal.

Dates only, no child data. Who may open and change them: trustplatform/permissions.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tenants.selectors import school_of_request_or_404
from trustplatform.confirm import confirmation_page
from trustplatform.forms import form_errors_add
from trustplatform.permissions import Capability, acting_user, require, trust_for_capability
from trustplatform.schooldays import selectors, services
from trustplatform.schooldays.forms import ClosureDayForm, DayStartForm, TermForm, TrustTermsForm
from trustplatform.schooldays.models import academic_year_label, academic_year_of

FORM_PAGE = "accounts/form_page.html"


@require(Capability.VIEW_SCHOOL_CALENDAR)
def calendar(request: HttpRequest) -> HttpResponse:
    school = school_of_request_or_404(request)
    today = timezone.localdate()
    return render(
        request,
        "schooldays/calendar.html",
        {
            "years": selectors.terms_by_year(school=school),
            "closures": selectors.closure_days(school=school),
            "notice": selectors.missing_term_dates_notice(school=school, today=today),
            "current_year": academic_year_label(academic_year_of(today)),
        },
    )


@require(Capability.MANAGE_SCHOOL_CALENDAR)
@require_http_methods(["GET", "POST"])
def term_set(request: HttpRequest, term_id: int | None = None) -> HttpResponse:
    school = school_of_request_or_404(request)
    today = timezone.localdate()
    initial: dict[str, object] = {"academic_year": academic_year_of(today)}
    if term_id is not None:
        term = selectors.term_get(school=school, term_id=term_id)
        initial = {
            "academic_year": term.academic_year,
            "name": term.name,
            "first_day": term.first_day,
            "last_day": term.last_day,
            "half_term_first_day": term.half_term_first_day,
            "half_term_last_day": term.half_term_last_day,
        }
    form = TermForm(request.POST or None, initial=initial, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            term = services.term_set(
                actor=acting_user(request),
                school=school,
                academic_year=form.cleaned_data["academic_year"],
                dates=form.term_dates(),
                request=request,
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, f"{term.label} saved. Open deadlines now count these dates.")
            return redirect("schooldays:calendar")
    return render(
        request,
        FORM_PAGE,
        {
            "form": form,
            "title": "Term dates",
            "intro": "Give the first and last day pupils are in school this term, and the "
            "half-term holiday inside it. Saving a term replaces that term's dates.",
            "submit": "Save term",
        },
    )


@require(Capability.MANAGE_SCHOOL_CALENDAR)
@require_POST
def term_remove(request: HttpRequest, term_id: int) -> HttpResponse:
    term = selectors.term_get(school=school_of_request_or_404(request), term_id=term_id)
    if asked := confirmation_page(
        request,
        title=f"Remove {term.label}?",
        consequence="Deadlines counted in school days will be counted without this term.",
        confirm_label="Yes, remove the term",
        back_url=reverse("schooldays:calendar"),
    ):
        return asked
    services.term_remove(actor=acting_user(request), term=term, request=request)
    messages.success(request, f"{term.label} removed.")
    return redirect("schooldays:calendar")


@require(Capability.MANAGE_SCHOOL_CALENDAR)
@require_http_methods(["GET", "POST"])
def closure_add(request: HttpRequest) -> HttpResponse:
    school = school_of_request_or_404(request)
    form = ClosureDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            closure = services.closure_day_add(
                actor=acting_user(request),
                school=school,
                day=form.cleaned_data["day"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, f"{closure.day:%A %d %B %Y} is a closure day.")
            return redirect("schooldays:calendar")
    return render(
        request,
        FORM_PAGE,
        {
            "form": form,
            "title": "Add a closure day",
            "intro": "A day in term when pupils are not in school: it does not count towards "
            "school-day deadlines.",
            "submit": "Add closure day",
        },
    )


@require(Capability.MANAGE_SCHOOL_CALENDAR)
@require_POST
def closure_remove(request: HttpRequest, closure_id: int) -> HttpResponse:
    closure = selectors.closure_day_get(
        school=school_of_request_or_404(request), closure_id=closure_id
    )
    if asked := confirmation_page(
        request,
        title=f"Remove the closure on {closure.day:%A %d %B %Y}?",
        consequence="Deadlines will count it as a school day again.",
        confirm_label="Yes, remove the closure",
        back_url=reverse("schooldays:calendar"),
    ):
        return asked
    services.closure_day_remove(actor=acting_user(request), closure=closure, request=request)
    messages.success(request, f"{closure.day:%A %d %B %Y} is no longer a closure day.")
    return redirect("schooldays:calendar")


@require(Capability.MANAGE_SCHOOL_CALENDAR)
@require_http_methods(["GET", "POST"])
def day_start(request: HttpRequest) -> HttpResponse:
    school = school_of_request_or_404(request)
    form = DayStartForm(request.POST or None, initial={"starts_at": school.day_starts_at})
    if request.method == "POST" and form.is_valid():
        try:
            services.day_start_set(
                actor=acting_user(request),
                school=school,
                starts_at=form.cleaned_data["starts_at"],
                request=request,
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "The start of the school day is saved.")
            return redirect("schooldays:calendar")
    return render(
        request,
        FORM_PAGE,
        {"form": form, "title": "Start of the school day", "submit": "Save time"},
    )


@require(Capability.MANAGE_SCHOOLS)
@require_http_methods(["GET", "POST"])
def trust_terms(request: HttpRequest) -> HttpResponse:
    """The trust admin gives one school year's terms to every school; each may then differ."""
    trust = trust_for_capability(request, Capability.MANAGE_SCHOOLS)
    if trust is None:  # the decorator already checked; defensive
        raise Http404
    today = timezone.localdate()
    form = TrustTermsForm(
        request.POST or None, initial={"academic_year": academic_year_of(today)}, today=today
    )
    if request.method == "POST" and form.is_valid():
        year = form.cleaned_data["academic_year"]
        try:
            count = services.trust_terms_set(
                actor=acting_user(request),
                trust=trust,
                academic_year=year,
                terms=form.terms(),
                request=request,
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(
                request,
                f"Term dates for {academic_year_label(year)} set for {count} schools. Each "
                "school can change its own on its calendar page.",
            )
            return redirect("trust_schooldays:terms")
    shown_year = academic_year_of(today)
    return render(
        request,
        "schooldays/trust_terms.html",
        {
            "form": form,
            "trust": trust,
            "year_label": academic_year_label(shown_year),
            "rows": selectors.trust_terms_of_year(trust=trust, academic_year=shown_year),
        },
    )
