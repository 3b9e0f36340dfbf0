"""Trusts, schools (the tenants) and their domains. Public schema: no child data here."""

from __future__ import annotations

import datetime as dt

from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

slug_validator = RegexValidator(
    r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$",
    "Use 3 to 40 lower-case letters, digits or hyphens, starting with a letter.",
)
urn_validator = RegexValidator(r"^\d{6}$", "A DfE URN is exactly 6 digits.")


class Trust(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class School(TenantMixin):
    """A school of a trust, served on <slug>.<BASE_DOMAIN>, with its own PostgreSQL schema."""

    class Phase(models.TextChoices):
        NURSERY = "nursery", "Nursery"
        PRIMARY = "primary", "Primary"
        SECONDARY = "secondary", "Secondary"
        ALL_THROUGH = "all_through", "All-through"
        SPECIAL = "special", "Special"
        ALTERNATIVE = "alternative", "Alternative provision"
        SIXTH_FORM = "sixth_form", "Sixth form"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="schools")
    name = models.CharField(max_length=200)
    slug = models.CharField(max_length=40, unique=True, validators=[slug_validator])
    urn = models.CharField("DfE URN", max_length=6, unique=True, validators=[urn_validator])
    phase = models.CharField(max_length=20, choices=Phase.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # When the school day begins: "before the start of the next school day" deadlines end here.
    day_starts_at = models.TimeField("school day starts at", default=dt.time(8, 30))
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    # Schemas are created by tenants.services.school_create, never as a side effect of save().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(urn__regex=r"^\d{6}$"), name="school_urn_six_digits"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "suspended"]), name="school_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Domain(DomainMixin):
    class Meta:
        ordering = ["domain"]
