"""Each school's own records. These tables live in the school's schema only.

No foreign key here points at a public-schema table: a school's schema is self-contained, so one
school can be restored (or moved to another database node) on its own.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models


class Category(models.Model):
    """A kind of concern (neglect, online safety, …). The DSL manages the school's list."""

    class Sensitivity(models.TextChoices):
        STANDARD = "standard", "Standard — key holders granted this category see it"
        RESTRICTED = "restricted", "Restricted — only the DSL, deputies and headteacher see it"

    # Stable code of a default category: trust statistics add up the same category across schools
    # by this code, whatever a school renamed it to. Empty for a school's own categories.
    code = models.SlugField(max_length=50, blank=True, default="")
    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    colour = models.CharField(
        max_length=7,
        default="#1d70b8",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1d70b8.")],
    )
    guidance = models.TextField(blank=True, help_text="Shown to staff while they record a concern.")
    sensitivity = models.CharField(
        max_length=20, choices=Sensitivity.choices, default=Sensitivity.STANDARD
    )
    position = models.PositiveSmallIntegerField(default=0)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="category_code_unique"
            ),
            models.UniqueConstraint(
                "name", "parent", name="category_name_unique_per_parent", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        return self.name
