"""Concerns, their screening and follow-up actions, alerts, and allegations against staff."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from safeguarding.models.categories import Category
from safeguarding.models.pupils import Pupil

# Recording a concern a few minutes after it happened is not backdating it.
BACKDATE_GRACE = timedelta(minutes=15)
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)


class Source(models.TextChoices):
    """How an entry reached the system (docs/rules.md, "Recording a concern")."""

    DIRECT = "direct", "Recorded directly"
    PAPER_FORM = "paper_form", "Paper significant-note form, transcribed"
    PHONE_CALL = "phone_call", "Telephone call"
    MEETING = "meeting", "Meeting"
    UPLOAD = "upload", "Uploaded document"
    SYSTEM = "system", "Recorded by the system"
    # A police force's notification sent through the API (docs/api.md, "Operation Encompass for
    # police systems"): their words, not this system's nor the key adult's.
    POLICE_SYSTEM = "police_system", "Sent by the police force's system"


class Concern(models.Model):
    """What a member of staff saw or was told, as they recorded it. Its account never changes:
    a correction is a new Concern that `supersedes` this one; both stay visible to the DSL."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        SCREENED = "screened", "Screened"
        OPEN = "open", "Open case"
        CLOSED = "closed", "Closed"

    class Level(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    pupils = models.ManyToManyField(Pupil, related_name="concerns")
    categories = models.ManyToManyField(Category, related_name="concerns")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.DIRECT)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    backdate_reason = models.TextField(blank=True)
    location = models.CharField(max_length=200, blank=True)
    account = models.TextField("what was seen or said, in the words used")
    action_taken = models.TextField("what the member of staff already did", blank=True)
    told_dsl_in_person = models.BooleanField(default=False)
    # Marks on the front/back body outlines: [{"side": "front", "x": 0.42, "y": 0.3, "note": ""}]
    # with x, y as fractions of the outline's width and height.
    body_map = models.JSONField(default=list, blank=True)
    # Who entered it, snapshotted; for a transcribed paper form the original author and the time
    # they wrote it are kept as written on the form.
    author_id = models.BigIntegerField()
    author_name = models.CharField(max_length=200)
    author_role = models.CharField(max_length=30)
    original_author_name = models.CharField(max_length=200, blank=True)
    original_written_at = models.DateTimeField(null=True, blank=True)
    notify_user_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    correction_reason = models.TextField(blank=True)
    # Who wrote a correction and when (docs/rules.md, "Corrections"): the account stays its
    # author's, so `author_*` and `recorded_at` are those of the first version.
    corrected_at = models.DateTimeField(null=True, blank=True)
    corrected_by_id = models.BigIntegerField(null=True, blank=True)
    corrected_by_name = models.CharField(max_length=200, blank=True)
    corrected_by_role = models.CharField(max_length=30, blank=True)

    # The case as it moves on. Changed only by services, each change also written to the
    # chronology.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    level = models.CharField(max_length=10, choices=Level.choices, blank=True)
    level_rationale = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    screened_at = models.DateTimeField(null=True, blank=True)
    screened_by_id = models.BigIntegerField(null=True, blank=True)
    screened_by_name = models.CharField(max_length=200, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_summary = models.TextField(blank=True)
    # Set once, by the escalation task that claimed it: escalation happens exactly once.
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["status", "recorded_at"], name="concern_status_recorded")]
        constraints = [
            # A time more than the grace period before recording is a backdated time, and a
            # backdated time needs its reason; a time in the future is impossible
            # (docs/rules.md, "Occurred and recorded times").
            models.CheckConstraint(
                condition=models.Q(occurred_at__gte=models.F("recorded_at") - BACKDATE_GRACE)
                | ~models.Q(backdate_reason=""),
                name="concern_backdated_needs_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(occurred_at__lte=models.F("recorded_at") + CLOCK_SKEW),
                name="concern_not_in_future",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(closure_summary=""),
                name="concern_closed_needs_summary",
            ),
            # A correction says why, who wrote it and when (docs/rules.md, "Corrections").
            models.CheckConstraint(
                condition=models.Q(supersedes__isnull=True)
                | (
                    ~models.Q(correction_reason="")
                    & models.Q(corrected_at__isnull=False, corrected_by_id__isnull=False)
                ),
                name="concern_correction_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"concern {self.pk}"


def moved_with_the_file(concern: str = "pk") -> models.Q:
    """A concern (the row's `concern`: its own `pk`, or an action's `concern_id`) whose every
    child's file has moved to another school of the trust. The copy that moved with the file is
    the receiving school's to screen and follow up; here the record is read-only (nothing more can
    be written about those children), so such a concern leaves this school's work lists,
    escalations and counts of work to do (docs/transfers.md, "Read-only after the move"). A
    concern about a child who stayed is still this school's."""
    pupils = Concern.pupils.through.objects.filter(concern_id=models.OuterRef(concern))
    return models.Q(
        models.Exists(pupils.filter(pupil__transferred_out_at__isnull=False))
    ) & ~models.Q(models.Exists(pupils.filter(pupil__transferred_out_at__isnull=True)))


class Alert(models.Model):
    """An in-app alert for one person. Says only that something needs attention."""

    class Reason(models.TextChoices):
        NEW_CONCERN = "new_concern", "A new concern needs screening"
        ESCALATED = "escalated", "A concern has not been screened in time"
        ACTION_ASSIGNED = "action_assigned", "An action has been assigned to you"
        LADO_OVERDUE = "lado_overdue", "An allegation has not been reported to the LADO in time"

    user_id = models.BigIntegerField()
    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="alerts")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One alert per person, concern and reason: sending twice is harmless.
            models.UniqueConstraint(fields=["user_id", "concern", "reason"], name="alert_once"),
        ]

    def __str__(self) -> str:
        return f"alert {self.pk} for {self.user_id}"


class Action(models.Model):
    """A follow-up decided on a concern: a conversation, a contact, a referral, or none."""

    class Kind(models.TextChoices):
        CONVERSATION_PUPIL = "conversation_pupil", "Further conversation with the pupil"
        CONVERSATION_ADULT = "conversation_adult", "Further conversation with an adult"
        AGENCY_CONTACT = "agency_contact", "Contact with an outside agency"
        PARENTS_INFORMED = "parents_informed", "Parents/carers informed"
        REFERRAL_SOCIAL_CARE = "referral_social_care", "Referral to children's social care"
        REFERRAL_POLICE = "referral_police", "Referral to the police"
        REFERRAL_EARLY_HELP = "referral_early_help", "Referral to early help"
        NO_FURTHER_ACTION = "no_further_action", "No further action"

    REFERRALS = frozenset(
        {Kind.REFERRAL_SOCIAL_CARE, Kind.REFERRAL_POLICE, Kind.REFERRAL_EARLY_HELP}
    )

    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    description = models.TextField(blank=True)
    # Why the decision is not to refer: required for "no further action" (KCSIE: record the
    # rationale for decisions not to refer).
    decision_rationale = models.TextField(blank=True)
    assignee_id = models.BigIntegerField(null=True, blank=True)
    assignee_name = models.CharField(max_length=200, blank=True)
    due_on = models.DateField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by_id = models.BigIntegerField()
    created_by_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="no_further_action") | ~models.Q(decision_rationale=""),
                name="action_nfa_needs_rationale",
            ),
        ]

    def __str__(self) -> str:
        return f"action {self.pk} ({self.kind})"


class Allegation(models.Model):
    """An allegation against an adult working in the school: a restricted record of its own, never
    in a child's chronology, never shown or alerted to the adult it is about (KCSIE Part 4).

    What it is about is fixed when it is recorded; what is learnt later (the LADO referral, the
    outcome, notes) is kept as `AllegationVersion` rows, each new one superseding the last.
    """

    concern = models.OneToOneField(Concern, on_delete=models.PROTECT, related_name="allegation")
    # A member of staff picked from the school's people is kept by user id (no foreign key to
    # the public schema) with their name and role at the time; someone outside the system by
    # name only (docs/rules.md, "People kept by id and name").
    adult_user_id = models.BigIntegerField(null=True, blank=True)
    adult_name = models.CharField("the adult the allegation is about", max_length=200)
    adult_role = models.CharField(max_length=200, blank=True)
    # The school role of the adult when it was recorded: who handles it depends on it (the
    # headteacher's case goes to the case manager, the DSL's to the headteacher).
    adult_school_role = models.CharField(max_length=30, blank=True)
    # When the headteacher is the adult concerned: the case manager KCSIE names (the chair of
    # governors or the trust's named officer), as the school had named them at the time.
    case_manager_id = models.BigIntegerField(null=True, blank=True)
    case_manager_name = models.CharField(max_length=200, blank=True)
    # Reported to the LADO within one working day (local procedures under KCSIE Part 4).
    lado_due_at = models.DateTimeField()
    # Set once, by the escalation run that claimed it: the deadline is chased exactly once.
    lado_escalated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"allegation {self.pk}"


class AllegationVersion(models.Model):
    """One version of what is known of an allegation: the LADO referral, the outcome, notes.

    Append-only (the database refuses UPDATE and DELETE): a change is a new version that
    supersedes the latest one, with who made it and when; every version stays visible.
    """

    class Outcome(models.TextChoices):
        SUBSTANTIATED = "substantiated", "Substantiated"
        FALSE = "false", "False"
        MALICIOUS = "malicious", "Malicious"
        UNSUBSTANTIATED = "unsubstantiated", "Unsubstantiated"
        UNFOUNDED = "unfounded", "Unfounded"

    allegation = models.ForeignKey(Allegation, on_delete=models.PROTECT, related_name="versions")
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    lado_referred_at = models.DateTimeField(null=True, blank=True)
    lado_reference = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    notes = models.TextField(blank=True)
    # The adult's date of birth, when the DSL has it: their normal pension age sets how long the
    # record is kept (KCSIE Part 4; docs/rules.md, "Retention").
    adult_date_of_birth = models.DateField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by_id = models.BigIntegerField()
    recorded_by_name = models.CharField(max_length=200)
    recorded_by_role = models.CharField(max_length=30)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            # One first version per allegation; each later one supersedes exactly one.
            models.UniqueConstraint(
                fields=["allegation"],
                condition=models.Q(supersedes__isnull=True),
                name="allegation_version_one_first",
            ),
        ]

    def __str__(self) -> str:
        return f"allegation version {self.pk}"


class AllegationSettings(models.Model):
    """The school's standing choices for allegations: who is case manager when the headteacher
    is the adult concerned (KCSIE Part 4: the chair of governors, or the trust's named officer).
    One row per school, set by the DSL."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    case_manager_id = models.BigIntegerField(null=True, blank=True)
    case_manager_name = models.CharField(max_length=200, blank=True)
    updated_by_id = models.BigIntegerField()
    updated_by_name = models.CharField(max_length=200)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "allegation settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(singleton=True), name="allegation_settings_single_row"
            ),
        ]

    def __str__(self) -> str:
        return "allegation settings"
