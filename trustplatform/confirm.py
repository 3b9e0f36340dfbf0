"""A second step before a destructive button takes effect, without JavaScript.

The button's form posts as before; the view asks `confirmation_page` first. Without `confirmed`
in the post it answers a page that says what will happen, with the same form (every field it was
sent, as hidden inputs) and a "confirmed" field, and a way back. Only that second post acts.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRMED = "confirmed"
_NOT_CARRIED = frozenset({"csrfmiddlewaretoken", CONFIRMED})


def confirmation_page(
    request: HttpRequest, *, title: str, consequence: str, confirm_label: str, back_url: str
) -> HttpResponse | None:
    """None once the person has confirmed; until then the page that asks them to."""
    if request.POST.get(CONFIRMED) == "yes":
        return None
    carried = [
        (name, value)
        for name in request.POST
        if name not in _NOT_CARRIED
        for value in request.POST.getlist(name)
    ]
    return render(
        request,
        "trustplatform/confirm.html",
        {
            "title": title,
            "consequence": consequence,
            "confirm_label": confirm_label,
            "back_url": back_url,
            "carried": carried,
            "action": request.path,
        },
    )
