from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from safeguarding.selectors import category_list_current
from trustplatform.permissions import Action, require


@require_GET
def school_home(request: HttpRequest) -> HttpResponse:
    """The school's front page: its name, and for signed-in staff what they may do here."""
    return render(request, "safeguarding/home.html")


@require_GET
@require(Action.VIEW_CATEGORY_GUIDANCE)
def category_guidance(request: HttpRequest) -> HttpResponse:
    """What to record under each category: the guidance staff see while recording a concern."""
    return render(
        request, "safeguarding/category_guidance.html", {"categories": category_list_current()}
    )
