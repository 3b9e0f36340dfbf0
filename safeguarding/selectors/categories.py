"""The school's categories of concern."""

from __future__ import annotations

from django.db.models import QuerySet

from safeguarding.models import Category


def category_list_current() -> QuerySet[Category]:
    """Categories staff may choose today: not retired, parents before their children."""
    return Category.objects.filter(retired_at__isnull=True).select_related("parent")
