"""A test-only URLconf: a view that fails while holding a pupil's name and a concern's text."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def record_concern_that_fails(request: HttpRequest, pupil_id: int) -> HttpResponse:
    # Kept in locals on purpose: Sentry's default is to send every frame's local variables.
    pupil_name = request.POST["pupil_name"]
    account = request.POST["account"]
    raise ValueError(f"could not save concern for {pupil_name}: {account}")


urlpatterns = [
    path("concerns/<int:pupil_id>/record/", record_concern_that_fails, name="concern_record"),
]
