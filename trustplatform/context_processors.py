from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from tenants.selectors import school_of_request


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "school": school_of_request(request),
        "base_domain": settings.BASE_DOMAIN,
        "product_name": "Safeguarding Records",
    }
