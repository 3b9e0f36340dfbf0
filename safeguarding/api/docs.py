"""The interactive API docs (Swagger UI, served from this site) under the site's
Content-Security-Policy (docs/security.md).

Swagger UI sets `style="…"` attributes on the elements it draws, which the site's policy refuses.
This one page allows inline style *attributes* only (`style-src-attr 'unsafe-inline'`): no
inline <style> element, no inline or other-origin script, so the rest of the policy holds here
too. Its own styles come from a stylesheet on the site, not an inline <style>.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.response import Response

# Added to the site's policy for this page's responses (django-csp reads it from the response).
DOCS_CSP_UPDATE = {"style-src-attr": ["'unsafe-inline'"]}


class ApiDocsView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        response._csp_update = DOCS_CSP_UPDATE
        return response
