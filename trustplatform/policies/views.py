"""The policy register on a school's site, and the trust's review dates on the root domain.

Governance only: titles, dates, owners and minutes references. No page here shows child data,
which is why governors and trustees may open them without two-factor.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tenants.selectors import school_of_request_or_404
from trustplatform.downloads import file_download
from trustplatform.forms import error_text
from trustplatform.permissions import Capability, acting_user, require, trust_for_capability
from trustplatform.policies import selectors, services
from trustplatform.policies.forms import PolicyForm, ReviewForm
from trustplatform.policies.models import Policy


@require(Capability.VIEW_POLICY_REGISTER)
def register(request: HttpRequest) -> HttpResponse:
    school = school_of_request_or_404(request)
    today = timezone.localdate()
    return render(
        request,
        "policies/register.html",
        {
            "rows": selectors.policy_register(school=school, today=today),
            "reminders": selectors.reminders_in_app(user=acting_user(request), school=school),
            "today": today,
        },
    )


@require(Capability.VIEW_POLICY_REGISTER)
def policy_detail(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = selectors.policy_get(school=school_of_request_or_404(request), policy_id=policy_id)
    today = timezone.localdate()
    return render(
        request,
        "policies/detail.html",
        {"policy": policy, "status": policy.status(today), "reviews": policy.reviews.all()},
    )


# `require` is typed for HttpResponse; a FileResponse streams the file instead of holding it.
@require(Capability.VIEW_POLICY_REGISTER)  # type: ignore[arg-type]
def policy_document(request: HttpRequest, policy_id: int) -> FileResponse:
    policy = selectors.policy_get(school=school_of_request_or_404(request), policy_id=policy_id)
    if not policy.document:
        raise Http404
    return file_download(
        policy.document, filename=f"policy-{policy.pk}.pdf", content_type="application/pdf"
    )


def _policy_fields(form: PolicyForm) -> dict[str, object]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "kind": data["kind"],
        "owner": data["owner"],
        "approving_body": data["approving_body"],
        "review_interval_months": data["review_interval_months"],
        "next_review_due": data["next_review_due"],
        "document_reference": data["document_reference"],
        "document": data.get("document") or None,
    }


def _form_render(request: HttpRequest, form: PolicyForm, title: str, submit: str) -> HttpResponse:
    return render(
        request, "policies/policy_form.html", {"form": form, "title": title, "submit": submit}
    )


@require(Capability.RECORD_POLICY_REVIEW)
@require_http_methods(["GET", "POST"])
def policy_new(request: HttpRequest) -> HttpResponse:
    school = school_of_request_or_404(request)
    form = PolicyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.policy_create(
                actor=acting_user(request),
                school=school,
                last_reviewed_on=form.cleaned_data["last_reviewed_on"],
                **_policy_fields(form),  # type: ignore[arg-type]
            )
        except ValidationError as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, f"“{policy.title}” added to the register.")
            return redirect("policies:detail", policy_id=policy.pk)
    return _form_render(request, form, "Add a policy", "Add policy")


@require(Capability.RECORD_POLICY_REVIEW)
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = selectors.policy_get(school=school_of_request_or_404(request), policy_id=policy_id)
    initial = {
        "title": policy.title,
        "kind": policy.kind,
        "owner": policy.owner,
        "approving_body": policy.approving_body,
        "review_interval_months": policy.review_interval_months,
        "next_review_due": policy.next_review_due,
        "document_reference": policy.document_reference,
    }
    form = PolicyForm(request.POST or None, request.FILES or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(
                actor=acting_user(request),
                policy=policy,
                **_policy_fields(form),  # type: ignore[arg-type]
            )
        except ValidationError as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, "Policy details saved.")
            return redirect("policies:detail", policy_id=policy.pk)
    return _form_render(request, form, f"Edit “{policy.title}”", "Save changes")


@require(Capability.RECORD_POLICY_REVIEW)
@require_http_methods(["GET", "POST"])
def policy_review(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy: Policy = selectors.policy_get(
        school=school_of_request_or_404(request), policy_id=policy_id
    )
    form = ReviewForm(request.POST or None, initial={"approved_by": policy.approving_body})
    if request.method == "POST" and form.is_valid():
        try:
            review = services.policy_review_record(
                actor=acting_user(request),
                policy=policy,
                reviewed_on=form.cleaned_data["reviewed_on"],
                approved_by=form.cleaned_data["approved_by"],
                minutes_reference=form.cleaned_data["minutes_reference"],
            )
        except ValidationError as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(
                request,
                f"Review recorded. The next review is due on {review.next_review_due:%d %B %Y}.",
            )
            return redirect("policies:detail", policy_id=policy.pk)
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": f"Record a review of “{policy.title}”",
            "intro": (
                f"Due on {policy.next_review_due:%d %B %Y}. Recording the review sets the next "
                f"due date {policy.review_interval_months} months after the date of the review."
            ),
            "submit": "Record review",
        },
    )


@require(Capability.VIEW_TRUST_REVIEW_DATES)
def trust_review_dates(request: HttpRequest) -> HttpResponse:
    trust = trust_for_capability(request, Capability.VIEW_TRUST_REVIEW_DATES)
    if trust is None:  # the decorator already checked; defensive
        raise Http404
    today = timezone.localdate()
    return render(
        request,
        "policies/trust_review_dates.html",
        {
            "trust": trust,
            "rows": selectors.trust_review_dates(trust=trust, today=today),
            "reminders": selectors.reminders_in_app(user=acting_user(request), trust=trust),
            "today": today,
        },
    )
