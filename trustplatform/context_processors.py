from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from tenants.selectors import school_of_request
from trustplatform.accounts.middleware import idle_seconds_left
from trustplatform.permissions import Capability, can
from trustplatform.schooldays.selectors import missing_term_dates_notice


def _term_dates_notice(request: HttpRequest) -> str:
    school = school_of_request(request)
    if school is None or not can(request, Capability.SCREEN_CONCERNS):
        return ""
    return missing_term_dates_notice(school=school, today=timezone.localdate())


def site(request: HttpRequest) -> dict[str, object]:
    return {
        # Evaluated only by the pages that show it (the DSL's home and concerns).
        "term_dates_notice": SimpleLazyObject(lambda: _term_dates_notice(request)),
        "school": school_of_request(request),
        "base_domain": settings.BASE_DOMAIN,
        "product_name": "Safeguarding Records",
        # The page warns two minutes before the idle sign-out (trustplatform/static/.../session.js).
        "idle_seconds_left": idle_seconds_left(request) if hasattr(request, "session") else None,
    }
