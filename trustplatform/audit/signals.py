"""Logins, failed logins and logouts, from Django's auth signals, into the platform audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from tenants.models import School
from trustplatform.accounts.models import User
from trustplatform.audit.models import AuditAction
from trustplatform.audit.services import audit_record, email_sha256


def _school_of(request: HttpRequest | None) -> School | None:
    # Staff log in on their school's subdomain; the routing middleware put the school there.
    school = getattr(request, "tenant", None)
    return school if isinstance(school, School) else None


@receiver(user_logged_in, dispatch_uid="audit_login_succeeded")
def login_succeeded(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit_record(
        action=AuditAction.LOGIN_SUCCEEDED,
        actor=user,
        school=_school_of(request),
        target_type="user",
        target_id=user.pk,
        request=request,
    )


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Neither the password (Django masks it, but it is not ours to keep) nor the email: only the
    # email's digest, so repeated attempts on one address can be correlated without naming it.
    attempted = credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username")
    data: dict[str, object] = {}
    if isinstance(attempted, str) and attempted:
        data["email_sha256"] = email_sha256(attempted)
    audit_record(
        action=AuditAction.LOGIN_FAILED, school=_school_of(request), data=data, request=request
    )


@receiver(user_logged_out, dispatch_uid="audit_logout")
def logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is None:  # logging out without a session: nothing happened
        return
    audit_record(
        action=AuditAction.LOGOUT,
        actor=user,
        school=_school_of(request),
        target_type="user",
        target_id=user.pk,
        request=request,
    )
