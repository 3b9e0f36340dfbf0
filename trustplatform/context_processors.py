from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "school": getattr(request, "tenant", None),
        "base_domain": settings.BASE_DOMAIN,
        "product_name": "Safeguarding Records",
    }
