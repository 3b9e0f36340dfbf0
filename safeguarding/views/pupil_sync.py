"""The MIS sync report: every import and API sync of the school's pupils, and one run's detail.

For whoever imports pupils (the DSL and the school administrator): who ran each, when, from a
file or the API, and what it did; a run's rejected rows by number with their reasons.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from safeguarding.selectors.pupil_sync import sync_run_get, sync_runs_recent
from trustplatform.permissions import Capability, require

PAGE_SIZE = 50


@never_cache
@require_GET
@require(Capability.IMPORT_PUPILS)
def pupil_sync_runs(request: HttpRequest) -> HttpResponse:
    page = Paginator(sync_runs_recent(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "safeguarding/pupils/sync_runs.html", {"page": page})


@never_cache
@require_GET
@require(Capability.IMPORT_PUPILS)
def pupil_sync_run(request: HttpRequest, run_id: int) -> HttpResponse:
    run = sync_run_get(run_id=run_id)
    return render(request, "safeguarding/pupils/sync_run.html", {"run": run})
