"""What the school site's menu needs on every page: the signed-in member's unread alerts."""

from __future__ import annotations

from functools import cache

from django.http import HttpRequest

from safeguarding.selectors.dashboard import unread_alert_count
from tenants.selectors import school_of_request
from trustplatform.permissions import roles_here


def menu(request: HttpRequest) -> dict[str, object]:
    @cache
    def unread_alerts_count() -> int:
        # Counted only when a page draws the menu, once however often it is shown.
        if school_of_request(request) is None or not roles_here(request):
            return 0
        return unread_alert_count(int(request.user.pk or 0))

    return {"unread_alerts_count": unread_alerts_count}
