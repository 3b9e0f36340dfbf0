"""Staff and roles on a school's site: invitations, role changes, DSL handover, 2FA resets."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from safeguarding.models import Category, YearGroup
from safeguarding.selectors import key_holder_grant_get
from safeguarding.services.access import key_holder_access_set
from safeguarding.services.api_keys import (
    api_key_create,
    api_key_revoke,
    api_keys_of,
    scopes_allowed,
)
from tenants.selectors import school_of_request_or_404
from trustplatform.accounts import services
from trustplatform.accounts.forms import (
    ApiKeyForm,
    DslConfirmForm,
    HandoverForm,
    InvitationForm,
    KeyHolderAccessForm,
    RoleChangeForm,
)
from trustplatform.accounts.models import DslHandoverRequest, Role, SchoolMembership
from trustplatform.accounts.selectors import (
    dsl_handover_pending,
    dsl_handover_pending_get,
    school_membership_get,
    school_staff,
)
from trustplatform.confirm import confirmation_page
from trustplatform.forms import error_text
from trustplatform.grants import Way, allows, dsl_grant, grantable_roles, staff_options
from trustplatform.permissions import ApiScope, Capability, acting_user, require, roles_here
from trustplatform.schooldays.calendar import LONDON


def _membership(request: HttpRequest, membership_id: int) -> SchoolMembership:
    # Looked up within this school only: another school's id is the same 404 as a missing one.
    membership = school_membership_get(
        school=school_of_request_or_404(request), membership_id=membership_id
    )
    if membership is None:
        raise Http404
    return membership


@require(Capability.VIEW_STAFF)
def staff_list(request: HttpRequest) -> HttpResponse:
    school = school_of_request_or_404(request)
    memberships = list(school_staff(school=school))
    # Each button only where the rule of who may grant what allows it (docs/security.md).
    options = staff_options(actor=acting_user(request), school=school, memberships=memberships)
    pending = dsl_handover_pending(school=school)
    may_confirm = pending is not None and allows(
        dsl_grant(
            Way.DSL_CONFIRMATION, school=school, nominee=pending.nominee, actor=acting_user(request)
        )
    )
    return render(
        request,
        "accounts/staff_list.html",
        {
            "rows": [(m, options[m.pk]) for m in memberships],
            "pending": pending if may_confirm else None,
            "confirm_form": DslConfirmForm(),
        },
    )


@require(Capability.INVITE_STAFF)
@require_http_methods(["GET", "POST"])
def staff_invite(request: HttpRequest) -> HttpResponse:
    school = school_of_request_or_404(request)
    offered = grantable_roles(actor=acting_user(request), way=Way.INVITATION, school=school)
    form = InvitationForm(request.POST or None, offered=offered)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_send(
                school=school,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=Role(form.cleaned_data["role"]),
                actor=acting_user(request),
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("staff:list")
    return render(
        request,
        "accounts/form_page.html",
        {"form": form, "title": "Invite a member of staff", "submit": "Send invitation"},
    )


@require(Capability.MANAGE_ROLES)
@require_POST
def staff_role_change(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _membership(request, membership_id)
    form = RoleChangeForm(request.POST)
    if form.is_valid():
        try:
            services.school_membership_set_role(
                membership=membership,
                role=Role(form.cleaned_data["role"]),
                actor=acting_user(request),
                request=request,
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, f"{membership.user.full_name}'s role is changed.")
    else:
        messages.error(request, "Choose a role from the list.")
    return redirect("staff:list")


@require(Capability.REMOVE_MEMBERSHIP)
@require_POST
def staff_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _membership(request, membership_id)
    if asked := confirmation_page(
        request,
        title=f"Remove {membership.user.full_name}'s access?",
        consequence=(
            f"{membership.user.full_name} will no longer be able to sign in to this school's "
            "records. What they recorded stays, under their name."
        ),
        confirm_label="Yes, remove access",
        back_url=reverse("staff:list"),
    ):
        return asked
    try:
        services.school_membership_remove(
            membership=membership, actor=acting_user(request), request=request
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"{membership.user.full_name} no longer has access.")
    return redirect("staff:list")


@require(Capability.RESET_COLLEAGUE_TWO_FACTOR)
@require_POST
def staff_two_factor_reset(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _membership(request, membership_id)
    try:
        services.totp_reset(
            user=membership.user,
            actor=acting_user(request),
            school=school_of_request_or_404(request),
            request=request,
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request, f"{membership.user.full_name} must set up two-factor again to read records."
        )
    return redirect("staff:list")


@require(Capability.HAND_OVER_DSL)
@require_http_methods(["GET", "POST"])
def dsl_handover(request: HttpRequest) -> HttpResponse:
    school = school_of_request_or_404(request)
    form = HandoverForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        try:
            services.dsl_handover(
                school=school,
                new_dsl=form.cleaned_data["new_dsl"],
                previous_dsl_role=Role(form.cleaned_data["previous_dsl_role"]),
                actor=acting_user(request),
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(
                request, f"{form.cleaned_data['new_dsl'].full_name} is now the school's DSL."
            )
            return redirect("staff:list")
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": "Hand over the DSL role",
            "intro": "A school has exactly one Designated Safeguarding Lead, a member of its "
            "staff. The handover takes effect at once, both of you are emailed, and it is "
            "recorded in the audit log.",
            "submit": "Hand over",
        },
    )


@require(Capability.GRANT_KEY_HOLDER_ACCESS)
@require_http_methods(["GET", "POST"])
def key_holder_access(request: HttpRequest, membership_id: int) -> HttpResponse:
    """The DSL chooses the categories and year groups a key holder sees."""
    membership = _membership(request, membership_id)
    if membership.role != Role.KEY_HOLDER:
        raise Http404
    grant = key_holder_grant_get(user_id=membership.user_id)
    categories = Category.objects.filter(
        retired_at__isnull=True, sensitivity=Category.Sensitivity.STANDARD
    )
    initial = {
        "categories": [str(c.pk) for c in grant.categories.all()] if grant else [],
        "year_groups": grant.year_groups if grant else [],
    }
    form = KeyHolderAccessForm(
        request.POST or None,
        initial=initial,
        categories=categories,
        year_groups=YearGroup.choices,
    )
    if request.method == "POST" and form.is_valid():
        try:
            key_holder_access_set(
                school=school_of_request_or_404(request),
                key_holder=membership.user,
                category_ids=[int(pk) for pk in form.cleaned_data["categories"]],
                year_groups=form.cleaned_data["year_groups"],
                actor=acting_user(request),
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, f"{membership.user.full_name}'s access is saved.")
            return redirect("staff:list")
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": f"What {membership.user.full_name} may see",
            "intro": "A key holder sees the records of pupils in the year groups you tick, and "
            "only the concerns in the categories you tick. Restricted categories are never "
            "shown to key holders.",
            "submit": "Save access",
        },
    )


def _pending_or_404(request: HttpRequest, request_id: int) -> DslHandoverRequest:
    handover = dsl_handover_pending_get(
        school=school_of_request_or_404(request), request_id=request_id
    )
    if handover is None:
        raise Http404
    return handover


@require(Capability.HAND_OVER_DSL)
@require_POST
def dsl_confirm(request: HttpRequest, request_id: int) -> HttpResponse:
    """The headteacher or the current DSL confirms the DSL the trust has named."""
    handover = _pending_or_404(request, request_id)
    form = DslConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the current DSL's new role from the list.")
        return redirect("staff:list")
    try:
        services.dsl_handover_confirm(
            handover_request=handover,
            actor=acting_user(request),
            previous_dsl_role=Role(form.cleaned_data["previous_dsl_role"]),
            request=request,
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"{handover.nominee.full_name} is now the school's DSL.")
    return redirect("staff:list")


@require(Capability.HAND_OVER_DSL)
@require_POST
def dsl_decline(request: HttpRequest, request_id: int) -> HttpResponse:
    """The headteacher or the current DSL declines the trust's naming; nothing changes."""
    handover = _pending_or_404(request, request_id)
    try:
        services.dsl_handover_decline(
            handover_request=handover, actor=acting_user(request), request=request
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, "The trust's naming is declined. Nothing has changed.")
    return redirect("staff:list")


def _role_here(request: HttpRequest) -> Role | None:
    return next(iter(roles_here(request)), None)


@require(Capability.MANAGE_API_KEYS)
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    """The school's API keys this person manages, and a form to make one (shown once)."""
    role = _role_here(request)
    allowed = scopes_allowed(role)
    form = ApiKeyForm(
        request.POST or None,
        scopes=[(scope.value, scope.label) for scope in ApiScope if scope in allowed],
    )
    if request.method == "POST" and form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        try:
            made = api_key_create(
                school=school_of_request_or_404(request),
                actor=acting_user(request),
                role=role,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=(
                    dt.datetime.combine(expires_on, dt.time(0), LONDON) if expires_on else None
                ),
            )
        except ValidationError as error:
            form.add_error(None, error_text(error))
        else:
            return render(request, "accounts/api_key_made.html", {"made": made})
    return render(
        request,
        "accounts/api_keys.html",
        {"form": form, "keys": api_keys_of(role), "now": timezone.now()},
    )


@require(Capability.MANAGE_API_KEYS)
@require_POST
def api_key_revoke_view(request: HttpRequest, key_id: int) -> HttpResponse:
    try:
        api_key_revoke(
            school=school_of_request_or_404(request),
            actor=acting_user(request),
            role=_role_here(request),
            key_id=key_id,
        )
    except ValidationError as error:
        raise Http404 from error
    messages.success(request, "The key is revoked: it no longer works.")
    return redirect("staff:api_keys")
