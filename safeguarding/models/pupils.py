"""Pupils as the school's MIS knows them, and the family links between them."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from safeguarding.models.categories import YearGroup

# DfE unique pupil number: a check letter and 12 digits (the last may be a letter for a
# temporary UPN).
upn_validator = RegexValidator(
    r"^[A-Z]\d{11}[0-9A-Z]$",
    "A UPN is a capital letter followed by 12 characters, e.g. A123456789012.",
)


class Pupil(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"

    upn = models.CharField("UPN", max_length=13, unique=True, validators=[upn_validator])
    legal_first_name = models.CharField(max_length=100)
    legal_last_name = models.CharField(max_length=100)
    preferred_first_name = models.CharField(max_length=100, blank=True)
    preferred_last_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    year_group = models.SmallIntegerField(choices=YearGroup.choices)
    form = models.CharField("form / class", max_length=20, blank=True)
    admission_date = models.DateField(null=True, blank=True)
    # Leavers are kept, never deleted: their records follow retention rules (DOB + 25 years).
    leaving_date = models.DateField(null=True, blank=True)
    sen = models.BooleanField("SEN support", default=False)
    ehcp = models.BooleanField("EHC plan", default=False)
    looked_after = models.BooleanField("looked-after child", default=False)
    child_protection_plan = models.BooleanField(default=False)
    child_in_need_plan = models.BooleanField(default=False)
    eal = models.BooleanField("English as an additional language", default=False)
    pupil_premium = models.BooleanField("FSM / pupil premium", default=False)
    young_carer = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    FLAG_FIELDS = (
        "sen",
        "ehcp",
        "looked_after",
        "child_protection_plan",
        "child_in_need_plan",
        "eal",
        "pupil_premium",
        "young_carer",
    )
    # What only readers of child records see and set: the school administrator, who imports and
    # enrols pupils, handles their identity and these others, never these
    # (docs/rules.md, "Roles in a school").
    SAFEGUARDING_FLAGS = ("looked_after", "child_protection_plan", "child_in_need_plan")

    class Meta:
        ordering = ["legal_last_name", "legal_first_name"]
        indexes = [
            models.Index(Lower("legal_last_name"), Lower("legal_first_name"), name="pupil_name"),
            models.Index(fields=["year_group", "form"], name="pupil_year_form"),
        ]

    def __str__(self) -> str:
        return f"pupil {self.pk}"  # never a name: str() ends up in logs

    @property
    def first_name(self) -> str:
        return self.preferred_first_name or self.legal_first_name

    @property
    def last_name(self) -> str:
        return self.preferred_last_name or self.legal_last_name

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def on_roll(self) -> bool:
        return self.leaving_date is None


class FamilyLink(models.Model):
    """Two pupils of the school who are family (siblings and the like), stored once per pair."""

    class Relationship(models.TextChoices):
        SIBLING = "sibling", "Sibling"
        HALF_SIBLING = "half_sibling", "Half-sibling"
        STEP_SIBLING = "step_sibling", "Step-sibling"
        COUSIN = "cousin", "Cousin"
        SAME_HOUSEHOLD = "same_household", "Lives in the same household"

    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="+")
    relative = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="+")
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pupil", "relative"], name="family_link_once"),
            # Each pair is stored with the lower id first, so A-B and B-A cannot both exist.
            models.CheckConstraint(
                condition=models.Q(pupil__lt=models.F("relative")), name="family_link_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pupil_id} {self.relationship} {self.relative_id}"
