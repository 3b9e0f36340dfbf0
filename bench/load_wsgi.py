"""The WSGI application bench/load.py runs under gunicorn: the product's, plus a bare view.

The bare view at `/bare/` is the ceiling the pages are held against, so it goes through the same
middleware stack as they do (school routing, session, CSRF, authentication, the session's place,
messages, axes) and, like them, asks who is signed in, which reads the session and the user. It
is served from a URLconf made here, the school's own patterns plus `bare/`, installed as
settings.ROOT_URLCONF, which the routing middleware picks for every school host at request
time: the product keeps no benchmark-only URL. (/healthz, which the load balancer probes, reads
neither the session nor the user.)
"""

from __future__ import annotations

import os
from importlib import import_module

from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trustplatform.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (after the application has set Django up)
from django.urls import path  # noqa: E402


def bare(request: HttpRequest) -> HttpResponse:
    """No work of its own beyond what every page does first: know who is signed in."""
    if not request.user.is_authenticated:
        return HttpResponse("signed out", status=403)
    return HttpResponse("ok")


urlpatterns = [path("bare/", bare), *import_module(settings.ROOT_URLCONF).urlpatterns]
settings.ROOT_URLCONF = __name__
