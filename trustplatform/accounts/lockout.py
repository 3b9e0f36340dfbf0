"""Growing cool-offs for failed sign-ins and two-factor codes (django-axes).

Attempts are counted per email address and IP together, so a pupil guessing on the school's
shared IP locks out one account for a few minutes, never a whole staffroom, and never for good.
Each lockout of the same email+IP within a day doubles the next cool-off: 1, 2, 4 ... 60 minutes.

Guessing spread over many addresses is limited per account as well: ACCOUNT_FAILURE_LIMIT
failures of one address within ACCOUNT_FAILURE_WINDOW_SECONDS, from anywhere (axes' failure log),
pause signing in to that account until the window has moved on. That cool-off ends by itself too.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from axes.helpers import get_failure_limit
from axes.models import AccessAttemptExpiration, AccessFailureLog
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from trustplatform.accounts.middleware import pending_email
from trustplatform.accounts.models import SignInLockout
from trustplatform.audit.models import AuditAction
from trustplatform.audit.services import audit_record, email_sha256

MAX_COOLOFF_MINUTES = 60
LOCKOUT_MEMORY_SECONDS = 24 * 60 * 60


def _key(request: HttpRequest | None, username: str | None) -> str:
    ip = getattr(request, "axes_ip_address", None) or (
        request.META.get("REMOTE_ADDR", "") if request is not None else ""
    )
    # The address as the sign-in form cleans it (stripped, lower case), however it was typed.
    digest = hashlib.sha256(f"{(username or '').strip().lower()}|{ip}".encode()).hexdigest()
    return digest


def _username(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # A sign-in form names the address; a two-factor attempt is for the address whose password
    # was accepted in this session (the person is not logged in yet).
    return request.POST.get("username") or pending_email(request)


def _lockouts_today(key: str) -> int:
    # A table of the public schema, so every site counts the same lockouts; in PostgreSQL, not
    # the cache, so that signing in never depends on Redis.
    since = timezone.now() - timedelta(seconds=LOCKOUT_MEMORY_SECONDS)
    return SignInLockout.objects.filter(key_sha256=key, locked_at__gt=since).count()


def cooloff(request: HttpRequest | None) -> timedelta:
    """AXES_COOLOFF_TIME: 2^(lockouts today - 1) minutes, at most an hour."""
    lockouts = max(_lockouts_today(_key(request, _username(request))), 1)
    return timedelta(minutes=min(2 ** (lockouts - 1), MAX_COOLOFF_MINUTES))


def lockout_recorded(
    sender: Any, request: HttpRequest | None, username: str | None, ip_address: str, **kwargs: Any
) -> None:
    """Receiver of axes' user_locked_out: remembers the lockout and writes the audit row."""
    # axes signals again at every failure during a lockout: only the failure that reaches the
    # limit starts one. Counting the others doubled the cool-off at each "try again later".
    failures = getattr(request, "axes_failures_since_start", None)
    if failures != get_failure_limit(request, getattr(request, "axes_credentials", None)):
        return
    key = _key(request, username)
    now = timezone.now()
    # Lockouts older than a day no longer grow a cool-off: forgotten as new ones are written.
    SignInLockout.objects.filter(
        locked_at__lte=now - timedelta(seconds=LOCKOUT_MEMORY_SECONDS)
    ).delete()
    SignInLockout.objects.create(key_sha256=key, locked_at=now)
    # axes set this attempt's expiry from the cool-off before the count above went up:
    # stretch it to the cool-off this lockout has earned, so no one else's sign-in (which
    # cleans expired attempts) can cut it short.
    AccessAttemptExpiration.objects.filter(
        access_attempt__username=username, access_attempt__ip_address=ip_address
    ).update(expires_at=now + cooloff(request))
    audit_record(
        action=AuditAction.LOCKOUT,
        data={"email_sha256": email_sha256(username or "")},
        request=request,
    )


# --- per account, from any address ----------------------------------------------------------------


def _account_failures(email: str) -> int:
    since = timezone.now() - timedelta(seconds=settings.ACCOUNT_FAILURE_WINDOW_SECONDS)
    return AccessFailureLog.objects.filter(
        username=email.strip().lower(), attempt_time__gt=since
    ).count()


def account_cooling_off(email: str | None) -> bool:
    """Whether this address had ACCOUNT_FAILURE_LIMIT failures within the window, from anywhere.

    Attempts are refused before they are checked while it lasts, so they add no failures: the
    cool-off ends by itself once the window has moved past the failures that caused it.
    """
    return bool(email) and _account_failures(str(email)) >= settings.ACCOUNT_FAILURE_LIMIT


def account_failure_recorded(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Receiver of user_login_failed: audits the failure that starts an account's cool-off.

    It runs before axes logs this failure (the accounts app is ready first), hence the + 1.
    """
    email = credentials.get("email")
    if email and _account_failures(str(email)) + 1 == settings.ACCOUNT_FAILURE_LIMIT:
        audit_record(
            action=AuditAction.LOCKOUT,
            data={"email_sha256": email_sha256(str(email)), "scope": "account"},
            request=request,
        )
