"""Pages every host serves (health) and the public site on the root domain."""

from __future__ import annotations

from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
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
