"""Outside agencies the school works with, and the log of information disclosed to them.

The policy: agencies (police, social care, ...) see information only with the Headteacher's or
the DSL's permission, every document issued is recorded, and the child is told who is involved
and what was shared. A Disclosure carries one request through those steps; each step is also a
hash-chained entry of the pupil's chronology.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from safeguarding.models.documents import Document
from safeguarding.models.pupils import Pupil


class Agency(models.Model):
    """An organisation in the school's directory. Retired, never deleted: disclosures keep it."""

    class Kind(models.TextChoices):
        CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
        POLICE = "police", "Police"
        SCHOOL_NURSE = "school_nurse", "School nurse"
        HEALTH_VISITOR = "health_visitor", "Health visitor"
        GP = "gp", "GP"
        ACCESS_AND_INCLUSION = "access_and_inclusion", "Access and inclusion officer"
        LADO = "lado", "LADO (local authority designated officer)"
        EARLY_HELP = "early_help", "Early help"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    retired = models.BooleanField(
        default=False, help_text="Retired agencies stay on old records but cannot be chosen."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by_id = models.BigIntegerField()
    updated_by_name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            # One entry per agency, whatever the capitals: duplicates split an agency's history.
            models.UniqueConstraint(
                Lower("name"),
                name="agency_name_unique",
                violation_error_message="The directory already has an agency with this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AgencyContact(models.Model):
    """A named person at an agency: a social worker, a police officer, a school nurse."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField("job title or role", max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    retired = models.BooleanField(
        default=False, help_text="Retired contacts stay on old records but cannot be chosen."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name


class LawfulBasis(models.TextChoices):
    """Why the law allows this sharing (UK GDPR / DPA 2018). Sharing a child's safeguarding
    information usually needs an Article 6 basis and, for special-category data, an Article 9
    condition: a disclosure records every one relied on."""

    LEGAL_OBLIGATION = "art6_1_c", "UK GDPR Art. 6(1)(c) — legal obligation"
    VITAL_INTERESTS = "art6_1_d", "UK GDPR Art. 6(1)(d) — vital interests (a life at risk)"
    PUBLIC_TASK = "art6_1_e", "UK GDPR Art. 6(1)(e) — public task"
    SAFEGUARDING = (
        "art9_2_g_safeguarding",
        "UK GDPR Art. 9(2)(g) — substantial public interest: safeguarding of children and "
        "individuals at risk (DPA 2018 Sch. 1 para 18)",
    )
    SOCIAL_PROTECTION = (
        "art9_2_b",
        "UK GDPR Art. 9(2)(b) — employment, social security and social protection law",
    )
    CRIME = "dpa_sch2_para2", "DPA 2018 Sch. 2 para 2 — prevention or detection of crime"
    CONSENT = "consent", "Consent"
    OTHER = "other", "Other (say which)"


class Disclosure(models.Model):
    """One request from an agency for a child's information, and what became of it.

    Steps, each once and each written to the chronology: the request; the decision (approved or
    refused, by the headteacher or the DSL only); what was shared, when, and which documents were
    issued; and whether the child was told, or why not. The request itself never changes (the
    database refuses it); the services fill each later step once.
    """

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"

    class SharedVia(models.TextChoices):
        SECURE_EMAIL = "secure_email", "Secure email"
        PORTAL = "portal", "The agency's secure portal"
        PHONE = "phone", "Telephone"
        MEETING = "meeting", "At a meeting"
        IN_PERSON = "in_person", "Handed over in person"
        POST = "post", "Post"
        OTHER = "other", "Other"

    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="disclosures")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="disclosures")
    contact = models.ForeignKey(
        AgencyContact,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disclosures",
    )
    # --- the request ---
    request_received_at = models.DateTimeField()
    requested_by = models.CharField("who asked", max_length=200)
    request_summary = models.TextField("what they asked for")
    recorded_by_id = models.BigIntegerField()
    recorded_by_name = models.CharField(max_length=200)
    recorded_by_role = models.CharField(max_length=30)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    # --- the decision ---
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decided_by_id = models.BigIntegerField(null=True, blank=True)
    decided_by_name = models.CharField(max_length=200, blank=True)
    decided_by_role = models.CharField(max_length=30, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_notes = models.TextField("conditions, or the reason for refusing", blank=True)
    lawful_basis = ArrayField(
        models.CharField(max_length=30, choices=LawfulBasis.choices), default=list, blank=True
    )
    lawful_basis_other = models.CharField(max_length=300, blank=True)
    # --- what was shared ---
    shared_summary = models.TextField("what was shared", blank=True)
    shared_at = models.DateTimeField(null=True, blank=True)
    shared_via = models.CharField(max_length=20, choices=SharedVia.choices, blank=True)
    shared_by_id = models.BigIntegerField(null=True, blank=True)
    shared_by_name = models.CharField(max_length=200, blank=True)
    shared_by_role = models.CharField(max_length=30, blank=True)
    documents = models.ManyToManyField(Document, blank=True, related_name="disclosures")
    # --- telling the child ---
    child_informed = models.BooleanField(null=True, blank=True)
    child_informed_at = models.DateTimeField(null=True, blank=True)
    child_informed_by = models.CharField("who told the child", max_length=200, blank=True)
    child_not_informed_reason = models.TextField(blank=True)
    child_recorded_by_id = models.BigIntegerField(null=True, blank=True)
    child_recorded_by_name = models.CharField(max_length=200, blank=True)
    child_recorded_by_role = models.CharField(max_length=30, blank=True)

    # The columns the later steps fill in; every other column is fixed once the request is
    # recorded (the migration's trigger refuses changing them).
    STEP_COLUMNS = (
        "decision",
        "decided_by_id",
        "decided_by_name",
        "decided_by_role",
        "decided_at",
        "decision_notes",
        "lawful_basis",
        "lawful_basis_other",
        "shared_summary",
        "shared_at",
        "shared_via",
        "shared_by_id",
        "shared_by_name",
        "shared_by_role",
        "child_informed",
        "child_informed_at",
        "child_informed_by",
        "child_not_informed_reason",
        "child_recorded_by_id",
        "child_recorded_by_name",
        "child_recorded_by_role",
    )

    class Meta:
        ordering = ["-request_received_at", "-id"]
        indexes = [
            models.Index(fields=["pupil", "-request_received_at"], name="disclosure_pupil_recent")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision="")
                | (models.Q(decided_by_id__isnull=False) & models.Q(decided_at__isnull=False)),
                name="disclosure_decision_attributed",
            ),
            # Sharing without a lawful basis is not lawful; the approver names it.
            models.CheckConstraint(
                condition=~models.Q(decision="approved") | models.Q(lawful_basis__len__gt=0),
                name="disclosure_approval_has_lawful_basis",
            ),
            models.CheckConstraint(
                condition=~models.Q(lawful_basis__contains=["other"])
                | ~models.Q(lawful_basis_other=""),
                name="disclosure_other_basis_named",
            ),
            models.CheckConstraint(
                condition=~models.Q(decision="refused") | ~models.Q(decision_notes=""),
                name="disclosure_refusal_has_reason",
            ),
            # Nothing is shared without the Headteacher's or DSL's permission (the policy).
            models.CheckConstraint(
                condition=models.Q(shared_at__isnull=True) | models.Q(decision="approved"),
                name="disclosure_shared_only_when_approved",
            ),
            models.CheckConstraint(
                condition=models.Q(shared_at__isnull=True)
                | (~models.Q(shared_summary="") & models.Q(shared_by_id__isnull=False)),
                name="disclosure_shared_recorded",
            ),
            models.CheckConstraint(
                condition=~models.Q(child_informed=True)
                | (models.Q(child_informed_at__isnull=False) & ~models.Q(child_informed_by="")),
                name="disclosure_child_told_when_and_by_whom",
            ),
            # Not telling the child is a decision that needs its reason.
            models.CheckConstraint(
                condition=~models.Q(child_informed=False) | ~models.Q(child_not_informed_reason=""),
                name="disclosure_child_not_told_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"disclosure {self.pk}"

    @property
    def lawful_basis_labels(self) -> list[str]:
        labels = dict(LawfulBasis.choices)
        return [
            self.lawful_basis_other
            if code == LawfulBasis.OTHER and self.lawful_basis_other
            else str(labels.get(code, code))
            for code in self.lawful_basis
        ]
