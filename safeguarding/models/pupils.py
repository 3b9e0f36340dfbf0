"""Pupils as the school's MIS knows them, and the family links between them."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

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
    # The MIS's own id for the pupil (SIMS, Arbor and Bromcom each have one). It stays the same
    # when a temporary UPN is replaced by the real one, so the sync matches on it as well as on
    # the UPN (docs/api.md, "MIS sync"). None until an import or sync gives it.
    mis_id = models.CharField("MIS id", max_length=50, null=True, blank=True, unique=True)
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
    eal = models.BooleanField("English as an additional language", default=False)
    pupil_premium = models.BooleanField("pupil premium", default=False)
    free_school_meals = models.BooleanField("free school meals", default=False)
    young_carer = models.BooleanField(default=False)
    # The safeguarding flags: set and cleared on the child's page by the DSL or a deputy only,
    # each change a chronology entry (services/pupils.py, `pupil_flag_change`). The date is the
    # day the plan or status began, as the DSL gave it; None while the flag is not set.
    looked_after = models.BooleanField("looked after", default=False)
    looked_after_since = models.DateField(null=True, blank=True)
    child_protection_plan = models.BooleanField("child protection plan", default=False)
    child_protection_plan_since = models.DateField(null=True, blank=True)
    child_in_need_plan = models.BooleanField("child in need", default=False)
    child_in_need_plan_since = models.DateField(null=True, blank=True)
    early_help = models.BooleanField("early help", default=False)
    early_help_since = models.DateField(null=True, blank=True)
    # A file moved to or from another school of the trust (docs/transfers.md). Once transferred
    # out, the record is read-only here: services refuse new records for the pupil
    # (`pupil_refuse_if_transferred_out`), and the child's page shows the receipt.
    transferred_out_at = models.DateTimeField(null=True, blank=True, editable=False)
    transferred_out_to = models.CharField(max_length=200, blank=True, editable=False)
    transferred_out_by_name = models.CharField(max_length=200, blank=True, editable=False)
    transferred_in_at = models.DateTimeField(null=True, blank=True, editable=False)
    transferred_in_from = models.CharField(max_length=200, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # What the school's MIS records, set by the import or the pupil form and shown read-only on
    # the child's page.
    FLAG_FIELDS = (
        "sen",
        "ehcp",
        "eal",
        "pupil_premium",
        "free_school_meals",
        "young_carer",
    )
    # What only readers of child records see, and only the DSL and deputies set, one dated
    # change at a time: never the MIS import or the pupil form, so every change is in the
    # chronology (docs/rules.md, "Roles in a school").
    SAFEGUARDING_FLAGS = (
        "child_protection_plan",
        "child_in_need_plan",
        "looked_after",
        "early_help",
    )

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
    def transferred_out(self) -> bool:
        return self.transferred_out_at is not None

    @property
    def on_roll(self) -> bool:
        return self.leaving_date is None

    @property
    def has_left(self) -> bool:
        """Left by today: the record is read-only to a sync (docs/rules.md, "Leavers")."""
        return self.leaving_date is not None and self.leaving_date <= timezone.localdate()


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
