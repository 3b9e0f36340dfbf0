"""`{% load when %}`, then `{{ moment|ago }}` or `{{ moment|ago:now }}`: how long ago, as people
say it ("just now" for under a minute, where Django's `timesince` says "0 minutes")."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()

JUST_NOW = dt.timedelta(minutes=1)


@register.filter
def ago(moment: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """ "just now", "5 minutes ago", "2 hours, 3 minutes ago"; nothing for no moment."""
    if moment is None:
        return ""
    now = now or timezone.now()
    if now - moment < JUST_NOW:
        return "just now"
    return f"{timesince(moment, now)} ago"
