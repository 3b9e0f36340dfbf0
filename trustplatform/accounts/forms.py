from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from axes.conf import settings as axes_settings
from django import forms
from django.contrib.auth import authenticate, user_login_failed
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest

from tenants.addresses import site_origin
from tenants.selectors import school_of_request
from trustplatform.accounts.lockout import account_cooling_off
from trustplatform.accounts.models import (
    SCHOOL_ROLES,
    Role,
    User,
)
from trustplatform.accounts.selectors import dsl_candidates, may_sign_in_here
from trustplatform.accounts.services import ASSIGNABLE_SCHOOL_ROLES


def axes_credentials(email: str | None) -> dict[str, Any]:
    """Credentials keyed as django-axes reads the address: AXES_USERNAME_FORM_FIELD, by default the
    user model's USERNAME_FIELD ("email"). Under any other key axes counts the attempt under no
    address at all, so everyone's failures from one IP add up and the lock checks nobody."""
    return {str(axes_settings.AXES_USERNAME_FORM_FIELD): email}


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": "That email address and password do not match an account for this site.",
        "inactive": "That email address and password do not match an account for this site.",
        "account_cooling_off": "There have been too many failed attempts to sign in to this "
        "account, from several places. To keep it safe, signing in to it is paused for a few "
        "minutes: try again in 15 minutes, or ask your school's office if this keeps happening.",
    }

    def clean_username(self) -> str:
        # Addresses are stored in lower case (services.user_create) and matched exactly; people
        # type "Jo.Bloggs@School.org". Also counts lockouts under one spelling of the address.
        return str(self.cleaned_data["username"]).lower()

    def clean(self) -> dict[str, Any]:
        # As AuthenticationForm.clean, but with the address under the key django-axes reads it
        # from: with Django's `username=` every failure was counted under no address, failures
        # of everyone on one IP added up, and the right password got in during a lockout.
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if account_cooling_off(email):
            # Before the password is checked: while it lasts, the right one is no clue either.
            raise forms.ValidationError(
                self.error_messages["account_cooling_off"], code="account_cooling_off"
            )
        if email is not None and password:
            self.user_cache = authenticate(
                self.request, password=password, **axes_credentials(email)
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not may_sign_in_here(user, self.request):  # type: ignore[arg-type]
            # Same message as a wrong password, and counted as a failure: the page must not
            # reveal who works at which school.
            user_login_failed.send(
                sender=__name__,
                credentials=axes_credentials(self.cleaned_data.get("username")),
                request=self.request,
            )
            raise self.get_invalid_login_error()


class MemberPasswordResetForm(PasswordResetForm):
    """Sends a reset link only to people who may sign in on this site; says the same either way."""

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The link is written from the configured address of this site, never from the
        # request's Host header (which a client chooses).
        address = urlsplit(site_origin(school_of_request(self.request) if self.request else None))
        kwargs |= {"domain_override": address.netloc, "use_https": address.scheme == "https"}
        super().save(*args, **kwargs)

    def get_users(self, email: str) -> Any:
        return [
            user
            for user in super().get_users(email)
            if self.request is None or may_sign_in_here(user, self.request)
        ]


class TwoFactorForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app, or a recovery code",
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class EnrolmentForm(forms.Form):
    code = forms.CharField(
        label="6-digit code from your authenticator app",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


_ROLE_CHOICES = [(r.value, r.label) for r in ASSIGNABLE_SCHOOL_ROLES]


class InvitationForm(forms.Form):
    full_name = forms.CharField(max_length=200)
    email = forms.EmailField()
    role = forms.ChoiceField(choices=_ROLE_CHOICES)

    def __init__(self, *args: Any, offered: list[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The list shows only the roles this person may give. Any role of the school is still
        # accepted from a post, so that the service refuses it, says why, and audits it.
        self.fields["role"].widget.choices = [(r.value, r.label) for r in offered]


class RoleChangeForm(forms.Form):
    # As the invitation: the staff page offers each person's roles; the service decides.
    role = forms.ChoiceField(choices=[(r.value, r.label) for r in Role if r in SCHOOL_ROLES])


class DslConfirmForm(forms.Form):
    previous_dsl_role = forms.ChoiceField(
        choices=_ROLE_CHOICES, initial=Role.DEPUTY_DSL.value, label="The current DSL becomes"
    )


class HandoverForm(forms.Form):
    new_dsl = forms.ModelChoiceField(queryset=User.objects.none(), label="New DSL")
    previous_dsl_role = forms.ChoiceField(
        choices=_ROLE_CHOICES, initial=Role.DEPUTY_DSL.value, label="The previous DSL becomes"
    )

    def __init__(self, *args: Any, school: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_dsl"].queryset = dsl_candidates(school=school)  # type: ignore[attr-defined]


class AssignDslForm(forms.Form):
    full_name = forms.CharField(max_length=200)
    email = forms.EmailField(help_text="An invitation is emailed if they have no account yet.")


class KeyHolderAccessForm(forms.Form):
    categories = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Categories they may see"
    )
    year_groups = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Year groups they may see",
    )

    def __init__(self, *args: Any, categories: Any, year_groups: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [(str(c.pk), c.name) for c in categories]  # type: ignore[attr-defined]
        self.fields["year_groups"].choices = year_groups  # type: ignore[attr-defined]


class ApiKeyForm(forms.Form):
    """A new API key: its name, scopes (those the person's role may give) and an expiry."""

    name = forms.CharField(
        max_length=100, help_text="The system that will use it, e.g. “Nightly MIS sync”."
    )
    scopes = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple)
    expires_on = forms.DateField(
        required=False,
        label="Expires on (optional)",
        help_text="The key stops working at the start of this day.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, scopes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = scopes  # type: ignore[attr-defined]
