"""Sessions bound to the site they were opened on, with an idle timeout for child-data readers.

Signing in takes two steps for anyone with two-factor: the right password only leaves a
"password accepted" mark in the session (who, on which site, until when), which the two-factor
page reads and nothing else does; the person is logged in once their code passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.crypto import constant_time_compare

from tenants.db import school_connection
from trustplatform.accounts.models import Role, User
from trustplatform.permissions import CHILD_DATA_ROLES, SESSION_OTP_VERIFIED, roles_here

SESSION_PLACE = "place"
SESSION_LAST_ACTIVITY = "last_activity"
SESSION_PASSWORD_ACCEPTED = "password_accepted"  # noqa: S105 - a session key, not a password
# Anyone who can read child data is signed out after 30 idle minutes.
IDLE_TIMEOUT_SECONDS = 30 * 60
# Activity is written back at most once a minute, not on every request.
ACTIVITY_WRITE_INTERVAL_SECONDS = 60
# A page's own requests made without the person doing anything (a draft's autosave, asking how
# long the session has left) carry this header: they are no activity, and an idle session still
# ends (docs/security.md, "Drafts").
BACKGROUND_HEADER = "X-Background"
SIGNED_OUT_MESSAGE = "You were signed out after 30 minutes without activity."


def signed_out_json() -> JsonResponse:
    """What a page's script is told when the session has ended: a 403 it reads."""
    return JsonResponse({"error": SIGNED_OUT_MESSAGE, "signed_out": True}, status=403)


def idle_seconds_left(request: HttpRequest, now: int | None = None) -> int | None:
    """Seconds before this session is signed out for idleness, or None if it never is; `now`:
    the time (whole seconds) the caller already read, so that one request reads the clock once."""
    user = getattr(request, "user", None)  # absent on a page drawn before authentication
    if user is None or not user.is_authenticated or not _times_out(request):
        return None
    now = int(time.time()) if now is None else now
    last = int(request.session.get(SESSION_LAST_ACTIVITY, now))
    return max(0, IDLE_TIMEOUT_SECONDS - (now - last))


def activity_touch(request: HttpRequest) -> int:
    """The person asked to stay signed in: the idle timeout starts again from now (returned)."""
    now = int(time.time())
    request.session[SESSION_LAST_ACTIVITY] = now
    return now


def _times_out(request: HttpRequest) -> bool:
    # School administrators see pupils' details for import and enrolment: the same timeout.
    return bool(roles_here(request) & (CHILD_DATA_ROLES | {Role.SCHOOL_ADMIN}))


def session_start(request: HttpRequest) -> None:
    """Called right after login: ties the session to this site (one school, or the root)."""
    request.session[SESSION_PLACE] = school_connection.schema_name
    request.session[SESSION_LAST_ACTIVITY] = int(time.time())
    request.session[SESSION_OTP_VERIFIED] = False


def password_accepted(request: HttpRequest, user: User) -> None:
    """The first step of signing in passed: only the two-factor page will honour this."""
    request.session.cycle_key()
    request.session[SESSION_PASSWORD_ACCEPTED] = password_accepted_mark(
        user, school_connection.schema_name
    )


def password_accepted_mark(user: User, place: str) -> dict[str, object]:
    return {
        "user_id": user.pk,
        "email": user.email,
        "place": place,
        "until": int(time.time()) + int(settings.PASSWORD_ACCEPTED_SECONDS),
        # A password change or "sign out everywhere" meanwhile voids the mark, as a session.
        "hash": user.get_session_auth_hash(),
    }


def _mark(request: HttpRequest) -> dict[str, object] | None:
    session = getattr(request, "session", None)
    mark = session.get(SESSION_PASSWORD_ACCEPTED) if session is not None else None
    if not isinstance(mark, dict):
        return None
    if mark.get("place") != school_connection.schema_name:
        return None
    if int(str(mark.get("until", 0))) < time.time():
        return None
    return mark


def pending_email(request: HttpRequest | None) -> str | None:
    """The address whose password was accepted in this session on this site, if any."""
    mark = _mark(request) if request is not None else None
    return str(mark["email"]) if mark is not None else None


def pending_user(request: HttpRequest) -> User | None:
    """The person who typed their right password here a few minutes ago, not yet their code."""
    mark = _mark(request)
    if mark is None:
        return None
    user = User.objects.filter(pk=int(str(mark["user_id"])), is_active=True).first()
    if user is None or not constant_time_compare(
        str(mark.get("hash", "")), user.get_session_auth_hash()
    ):
        return None
    return user


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_PASSWORD_ACCEPTED, None)


class SessionPlaceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            if request.session.get(SESSION_PLACE) != school_connection.schema_name:
                # Cookies are host-only, so this is a session of another site replayed here:
                # serve the request as anonymous and leave that session untouched.
                request.user = AnonymousUser()
            elif request.user.has_two_factor and not request.session.get(SESSION_OTP_VERIFIED):
                # A session that never passed two-factor (opened before the person set it up,
                # on another device) is no sign-in for someone who has it now.
                request.user = AnonymousUser()
            elif self._idle_expired(request):
                logout(request)
                if request.headers.get(BACKGROUND_HEADER):
                    # A page's script asked, not a person: it tells them to copy their text and
                    # sign in again, rather than being handed the sign-in page.
                    return JsonResponse(
                        {"error": SIGNED_OUT_MESSAGE, "signed_out": True}, status=403
                    )
                response = redirect("accounts:login")
                # MessageMiddleware comes after this one and has not run for this request, so
                # messages.info() would raise: store the message with the response directly.
                storage = default_storage(request)
                storage.add(messages.INFO, SIGNED_OUT_MESSAGE)
                storage.update(response)
                return response
        return self.get_response(request)

    @staticmethod
    def _idle_expired(request: HttpRequest) -> bool:
        now = int(time.time())
        last = int(request.session.get(SESSION_LAST_ACTIVITY, now))
        if _times_out(request) and now - last > IDLE_TIMEOUT_SECONDS:
            return True
        if request.headers.get(BACKGROUND_HEADER):
            return False
        if now - last >= ACTIVITY_WRITE_INTERVAL_SECONDS:
            request.session[SESSION_LAST_ACTIVITY] = now
        return False
