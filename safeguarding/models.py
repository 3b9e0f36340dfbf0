"""Each school's own records. These tables live in the school's schema only.

No foreign key here points at a public-schema table: a school's schema is self-contained, so one
school can be restored (or moved to another database node) on its own.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from trustplatform.hashchain import HashChainedModel


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

    # The user by id: no foreign key to the public schema (brief §6).
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


class AccessAction(models.TextChoices):
    VIEWED_RECORD = "viewed_record", "Viewed a record"
    OPENED_SEARCH_RESULT = "opened_search_result", "Opened a search result"
    EXPORTED = "exported", "Exported"
    PRINTED = "printed", "Printed"


class AccessLogEntry(HashChainedModel):
    """Who saw a child's record, when, and how (brief §4). The DSL reads it; no one edits it.

    Append-only (the database refuses UPDATE, DELETE, TRUNCATE) and hash-chained per school.
    """

    occurred_at = models.DateTimeField(default=timezone.now, editable=False)
    # The user by id with a snapshot of their name and role at the time: no foreign key to the
    # public schema (brief §6), and the entry stays attributed after the person leaves.
    user_id = models.BigIntegerField()
    user_name = models.CharField(max_length=200)
    user_role = models.CharField(max_length=30)
    action = models.CharField(max_length=30, choices=AccessAction.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    # A plain id, not a foreign key: an append-only row must never block removing a pupil's
    # record at the end of its retention period.
    pupil_id = models.BigIntegerField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    hashed_fields = (
        "occurred_at",
        "user_id",
        "user_name",
        "user_role",
        "action",
        "object_type",
        "object_id",
        "pupil_id",
        "ip_address",
    )

    class Meta(HashChainedModel.Meta):
        verbose_name_plural = "access log entries"
        indexes = [
            models.Index(fields=["-occurred_at"], name="accesslog_recent"),
            models.Index(fields=["pupil_id", "-occurred_at"], name="accesslog_pupil_recent"),
            models.Index(fields=["user_id", "-occurred_at"], name="accesslog_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id} by {self.user_id}"
