"""The DSL manages the school's categories: add, rename, nest, recolour, retire, restore."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from safeguarding.models import Category


def _check_parent(category: Category | None, parent: Category | None) -> None:
    if parent is None:
        return
    if parent.retired_at is not None:
        raise ValidationError({"parent": "A retired category cannot hold others."})
    if parent.parent_id is not None:
        raise ValidationError({"parent": "Categories nest one level deep only."})
    if category is not None and (parent.pk == category.pk or category.children.exists()):
        raise ValidationError({"parent": "A category with sub-categories cannot be nested."})


@transaction.atomic
def category_save(
    *,
    category: Category | None,
    name: str,
    colour: str,
    guidance: str,
    sensitivity: Category.Sensitivity,
    parent: Category | None,
) -> Category:
    """Creates a category (category=None) or changes one. Its code (for trust statistics) stays."""
    _check_parent(category, parent)
    category = category or Category()
    category.name = name.strip()
    category.colour = colour
    category.guidance = guidance.strip()
    category.sensitivity = sensitivity
    category.parent = parent
    category.full_clean(exclude=["code"], validate_constraints=False)
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError:
        raise ValidationError(
            {"name": "There is already a category with this name here."}
        ) from None
    return category


@transaction.atomic
def category_retire(*, category: Category) -> Category:
    """Retired categories are no longer offered; concerns recorded under them keep them."""
    if category.children.filter(retired_at__isnull=True).exists():
        raise ValidationError("Retire or move its sub-categories first.")
    category.retired_at = category.retired_at or timezone.now()
    category.save(update_fields=["retired_at"])
    return category


@transaction.atomic
def category_restore(*, category: Category) -> Category:
    category.retired_at = None
    category.save(update_fields=["retired_at"])
    return category
