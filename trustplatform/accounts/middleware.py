"""Sessions bound to the site they were opened on, with an idle timeout for child-data readers."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from tenants.db import school_connection
from trustplatform.accounts.models import Role
from trustplatform.permissions import CHILD_DATA_ROLES, SESSION_OTP_VERIFIED, roles_here

SESSION_PLACE = "place"
SESSION_LAST_ACTIVITY = "last_activity"
# Anyone who can read child data is signed out after 30 idle minutes.
IDLE_TIMEOUT_SECONDS = 30 * 60
# Activity is written back at most once a minute, not on every request.
ACTIVITY_WRITE_INTERVAL_SECONDS = 60


def session_start(request: HttpRequest) -> None:
    """Called right after login: ties the session to this site (one school, or the root)."""
    request.session[SESSION_PLACE] = school_connection.schema_name
    request.session[SESSION_LAST_ACTIVITY] = int(time.time())
    request.session[SESSION_OTP_VERIFIED] = False


class SessionPlaceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            if request.session.get(SESSION_PLACE) != school_connection.schema_name:
                # Cookies are host-only, so this is a session of another site replayed here:
                # serve the request as anonymous and leave that session untouched.
                request.user = AnonymousUser()
            elif self._idle_expired(request):
                logout(request)
                response = redirect("accounts:login")
                # MessageMiddleware comes after this one and has not run for this request, so
                # messages.info() would raise: store the message with the response directly.
                storage = default_storage(request)
                storage.add(messages.INFO, "You were signed out after 30 minutes without activity.")
                storage.update(response)
                return response
        return self.get_response(request)

    @staticmethod
    def _idle_expired(request: HttpRequest) -> bool:
        now = int(time.time())
        last = int(request.session.get(SESSION_LAST_ACTIVITY, now))
        # School administrators see pupils' details for import and enrolment: the same timeout.
        sees_pupils = bool(roles_here(request) & (CHILD_DATA_ROLES | {Role.SCHOOL_ADMIN}))
        if sees_pupils and now - last > IDLE_TIMEOUT_SECONDS:
            return True
        if now - last >= ACTIVITY_WRITE_INTERVAL_SECONDS:
            request.session[SESSION_LAST_ACTIVITY] = now
        return False
