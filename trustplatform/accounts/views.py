"""Signing in and out, two-factor, passwords and invitations, on every site (school and root)."""

from __future__ import annotations

from typing import Any

import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash, user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from trustplatform.accounts import services
from trustplatform.accounts.forms import (
    EnrolmentForm,
    MemberPasswordResetForm,
    SignInForm,
    TwoFactorForm,
    axes_credentials,
)
from trustplatform.accounts.lockout import account_cooling_off
from trustplatform.accounts.middleware import (
    activity_touch,
    idle_seconds_left,
    password_accepted,
    pending_clear,
    pending_user,
    session_start,
    signed_out_json,
)
from trustplatform.accounts.models import User
from trustplatform.accounts.selectors import recovery_codes_remaining
from trustplatform.accounts.tokens import invitation_tokens, password_reset_tokens
from trustplatform.audit.models import AuditAction
from trustplatform.audit.services import audit_record
from trustplatform.permissions import (
    SESSION_OTP_VERIFIED,
    acting_user,
    roles_here,
    two_factor_passed,
)


def _next_url(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    # A path on this site only: redirect() reads anything else as the name of a view.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return default


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/sign_in.html"
    redirect_authenticated_user = False

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        if user.has_two_factor:
            # The password is half of signing in: no login() yet, so nothing but the two-factor
            # page opens, and the failures axes counts for this email+IP are not forgotten.
            # Whoever was signed in on this browser before is signed out now.
            if self.request.user.is_authenticated:
                logout(self.request)
            password_accepted(self.request, user)
            query = urlencode({"next": self.get_success_url()})
            return HttpResponseRedirect(f"{reverse('accounts:two_factor')}?{query}")
        login(self.request, user)
        session_start(self.request)
        return HttpResponseRedirect(self.get_success_url())


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "You have signed out.")
    return redirect("accounts:login")


def _locked(request: HttpRequest, email: str) -> bool:
    # Credentials under the key axes reads the address from (see SignInForm.clean).
    return AxesProxyHandler.is_locked(
        request, credentials=axes_credentials(email)
    ) or account_cooling_off(email)


def _code_passes(request: HttpRequest, user: User, code: str) -> bool:
    if code.replace(" ", "").isdigit():
        return services.totp_verify(user=user, code=code)
    return services.recovery_code_use(user=user, code=code, request=request)


def _without_password_accepted(request: HttpRequest) -> HttpResponse:
    signed_in = acting_user(request)
    if not signed_in.is_authenticated:
        return redirect_to_login(_next_url(request), reverse("accounts:login"))
    if not signed_in.has_two_factor:
        # Signed in with a password alone: someone who has not set up two-factor yet.
        query = urlencode({"next": _next_url(request)})
        return redirect(f"{reverse('accounts:two_factor_setup')}?{query}")
    return redirect(_next_url(request))


@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a TOTP or recovery code. Wrong codes count as failures."""
    user = pending_user(request)
    if user is None:
        return _without_password_accepted(request)
    form = TwoFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _locked(request, user.email):
            return render(request, "accounts/locked_out.html", status=429)
        if _code_passes(request, user, form.cleaned_data["code"].strip()):
            # Only now is signing in complete; login() also makes axes forget this email+IP's
            # failures (AXES_RESET_ON_SUCCESS).
            pending_clear(request)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            session_start(request)
            request.session[SESSION_OTP_VERIFIED] = True
            return redirect(_next_url(request))
        user_login_failed.send(
            sender=__name__, credentials=axes_credentials(user.email), request=request
        )
        if _locked(request, user.email):
            return render(request, "accounts/locked_out.html", status=429)
        form.add_error("code", "That code is not right, or it has already been used.")
    return render(request, "accounts/two_factor.html", {"form": form, "next": _next_url(request)})


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if user.has_two_factor:
        return render(request, "accounts/two_factor_setup.html", {"enrolled": True})
    uri = services.totp_enrolment_begin(user=user)
    user.refresh_from_db(fields=["totp_secret_encrypted"])
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_enrolment_confirm(
                user=user, code=form.cleaned_data["code"], request=request
            )
        except ValidationError as error:
            form.add_error("code", error.messages[0])
        else:
            request.session.cycle_key()
            request.session[SESSION_OTP_VERIFIED] = True
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "uri": uri,
            "secret": user.totp_secret,
            # The SVG is generated here from our own URI, not from user input.
            "qr_svg": mark_safe(_qr_svg(uri)),  # noqa: S308
            "next": _next_url(request),
        },
    )


@login_required
@require_POST
def recovery_codes_regenerate(request: HttpRequest) -> HttpResponse:
    if not two_factor_passed(request):
        return redirect(f"{reverse('accounts:two_factor')}?next={reverse('accounts:account')}")
    codes = services.recovery_codes_regenerate(user=acting_user(request), request=request)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": "/"})


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    return render(
        request,
        "accounts/account.html",
        {
            "roles": sorted(role.label for role in roles_here(request)),
            "recovery_codes_remaining": recovery_codes_remaining(user=user),
            "two_factor_passed": two_factor_passed(request),
        },
    )


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    services.sessions_end_all(user=user, actor=user, request=request)
    logout(request)
    messages.info(request, "You have been signed out on every device.")
    return redirect("accounts:login")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/form_page.html"
    success_url = reverse_lazy("accounts:account")
    extra_context = {"title": "Change your password", "submit": "Change password"}

    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)
        user = acting_user(self.request)
        audit_record(
            action=AuditAction.PASSWORD_CHANGED,
            actor=user,
            target_type="user",
            target_id=user.pk,
            request=self.request,
        )
        update_session_auth_hash(self.request, user)
        messages.success(self.request, "Your password has been changed.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = MemberPasswordResetForm
    token_generator = password_reset_tokens
    template_name = "accounts/form_page.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    extra_context = {
        "title": "Reset your password",
        "intro": "Enter the email address you sign in with. If it belongs to an account for "
        "this site, we will email you a link to set a new password.",
        "submit": "Email me a link",
    }

    def get_form_kwargs(self) -> dict[str, Any]:
        return super().get_form_kwargs() | {"request": self.request}

    def form_valid(self, form: Form) -> HttpResponse:
        audit_record(action=AuditAction.PASSWORD_RESET_REQUESTED, request=self.request)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/form_page.html"
    token_generator = password_reset_tokens
    success_url = reverse_lazy("accounts:password_reset_complete")
    extra_context = {"title": "Choose a new password", "submit": "Save password"}

    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(
            action=AuditAction.PASSWORD_CHANGED,
            actor=self.user,
            target_type="user",
            target_id=self.user.pk,
            request=self.request,
        )
        return response


class InvitationAcceptView(PasswordResetConfirmView):
    """The link of an invitation email: the invited person chooses their password."""

    success_url = reverse_lazy("accounts:login")
    token_generator = invitation_tokens
    extra_context = {
        "title": "Welcome: choose your password",
        "intro": "Choose a password of at least 12 characters. You will then sign in with your "
        "email address and this password.",
        "submit": "Save password",
    }

    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(
            action=AuditAction.INVITATION_ACCEPTED,
            actor=self.user,
            target_type="user",
            target_id=self.user.pk,
            request=self.request,
        )
        messages.success(self.request, "Your password is set. Sign in to continue.")
        return response


def simple_message(title: str, text: str) -> Any:
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "accounts/message.html", {"title": title, "text": text})

    return view


@require_http_methods(["GET", "POST"])
def session_time(request: HttpRequest) -> HttpResponse:
    """How long the session has before the idle sign-out; POST ("Stay signed in") starts it again.

    The page's warning asks here (docs/security.md, "Signing in"). Signed out: a 403
    the script reads, never the sign-in page.
    """
    if not request.user.is_authenticated:
        return signed_out_json()
    # Touched and answered at the same second: read twice, the clock could pass a second's
    # boundary between the two and answer a second short of the whole timeout.
    now = activity_touch(request) if request.method == "POST" else None
    return JsonResponse({"seconds_left": idle_seconds_left(request, now)})
