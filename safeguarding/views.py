from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from safeguarding.selectors import category_list_current


@require_GET
def school_home(request: HttpRequest) -> HttpResponse:
    return render(request, "safeguarding/home.html")


@require_GET
def category_guidance(request: HttpRequest) -> HttpResponse:
    """What to record under each category: the guidance staff see while recording a concern."""
    return render(
        request, "safeguarding/category_guidance.html", {"categories": category_list_current()}
    )
