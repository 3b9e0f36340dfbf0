"""The school's categories of concern."""

from __future__ import annotations

from django.db.models import QuerySet

from safeguarding.models import Category
from safeguarding.permissions import Reader


def category_list_current() -> QuerySet[Category]:
    """Categories staff may choose today: not retired, parents before their children."""
    return Category.objects.filter(retired_at__isnull=True).select_related("parent")


def categories_visible(reader: Reader) -> QuerySet[Category]:
    """Current categories this reader may filter by: a key holder learns of no other than theirs."""
    categories = Category.objects.filter(retired_at__isnull=True)
    if reader.reads_everything:
        return categories
    return categories.filter(pk__in=reader.category_ids)
