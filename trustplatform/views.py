"""Pages every host serves (health) and the public site on the root domain."""

from __future__ import annotations

import sys

from django.db import connection
from django.db.utils import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


def _database_probe() -> JsonResponse:
    if not _database_answers():
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Load-balancer probe: 200 when the database answers, 503 when it does not."""
    return _database_probe()


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when PostgreSQL answers, 503 when it does not; nothing else is asked.

    Not Redis, S3, SMTP or clamd: without one of those some pages fail or wait, but taking every
    web process out of the load balancer would fail all of them, sign-in and reading records
    included (docs/operations.md).
    """
    return _database_probe()


@require_GET
def public_home(request: HttpRequest) -> HttpResponse:
    return render(request, "trustplatform/public_home.html")


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the database out of reach (a restart, a failover) answers 503, "try again
    shortly"; any other failure the plain 500 page.

    Both pages are rendered without a request context: the context processors read the
    database, which may be what failed. Django calls this inside its `except` block, so the
    exception being handled is at hand.
    """
    error = sys.exc_info()[1]
    # Lost or refused connections only: a failed constraint or bad SQL is a fault of ours.
    if isinstance(error, OperationalError | InterfaceError):
        page = loader.get_template("503.html").render()
        return HttpResponse(page, status=503, headers={"Retry-After": "30"})
    return HttpResponseServerError(loader.get_template("500.html").render())
