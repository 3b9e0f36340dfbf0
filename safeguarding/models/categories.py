"""Categories of concern, year groups, and what each key holder is granted."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
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


class YearGroup(models.IntegerChoices):
    """England's year groups, as MIS exports number them (nursery and reception before Year 1)."""

    NURSERY = -1, "Nursery"
    RECEPTION = 0, "Reception"
    YEAR_1 = 1, "Year 1"
    YEAR_2 = 2, "Year 2"
    YEAR_3 = 3, "Year 3"
    YEAR_4 = 4, "Year 4"
    YEAR_5 = 5, "Year 5"
    YEAR_6 = 6, "Year 6"
    YEAR_7 = 7, "Year 7"
    YEAR_8 = 8, "Year 8"
    YEAR_9 = 9, "Year 9"
    YEAR_10 = 10, "Year 10"
    YEAR_11 = 11, "Year 11"
    YEAR_12 = 12, "Year 12"
    YEAR_13 = 13, "Year 13"


class KeyHolderGrant(models.Model):
    """What one key holder may see: pupils of these year groups, concerns of these categories.

    Granted by the DSL. A key holder without a grant sees nothing beyond their own receipts.
    """

    # The user by id: no foreign key to the public schema
    # (docs/rules.md, "People kept by id and name").
    user_id = models.BigIntegerField(unique=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="key_holder_grants")
    year_groups = ArrayField(
        models.SmallIntegerField(choices=YearGroup.choices), default=list, blank=True
    )
    granted_by_id = models.BigIntegerField()
    granted_by_name = models.CharField(max_length=200)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"grant for user {self.user_id}"
