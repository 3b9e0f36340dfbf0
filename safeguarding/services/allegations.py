"""Allegations against adults working in the school (KCSIE Part 4; docs/security.md, "Need to
know"): who they are about, who handles them, their versions, and the LADO chase."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from safeguarding.models import Alert, Allegation, AllegationSettings, AllegationVersion, Concern
from safeguarding.models.concerns import CLOCK_SKEW
from safeguarding.services.alerts import (
    alert,
    alert_emails_after_commit,
    member_ids,
    statistics_changed,
)
from safeguarding.services.chronology import Person
from tenants.models import School
from trustplatform.accounts.models import Role, SchoolMembership, User
from trustplatform.audit.models import AuditAction
from trustplatform.audit.services import audit_record
from trustplatform.schooldays.calendar import calendar_of

# Who handles an allegation, before the adult concerned is taken out: the DSL and headteacher;
# when the headteacher is the adult, also the case manager the school named.
HANDLERS = (Role.DSL, Role.HEADTEACHER)


def allegation_settings_get() -> AllegationSettings | None:
    return AllegationSettings.objects.first()


def case_manager_candidates(school: School) -> list[User]:
    """Who may be named case manager: the school's governors (the chair of governors, or the
    trust's named officer given a governor's membership), with two-factor set up."""
    return [
        user
        for user in User.objects.filter(
            school_memberships__school=school,
            school_memberships__role=Role.GOVERNOR,
            is_active=True,
        ).order_by("full_name")
        if user.has_two_factor
    ]


@transaction.atomic
def allegation_case_manager_set(
    *, school: School, actor: User, user_id: int | None
) -> AllegationSettings:
    """The DSL names the case manager for allegations about the headteacher (or nobody)."""
    if not SchoolMembership.objects.filter(user=actor, school=school, role=Role.DSL).exists():
        raise ValidationError("Only the DSL names the case manager.")
    name = ""
    if user_id is not None:
        membership = (
            SchoolMembership.objects.select_related("user")
            .filter(school=school, user_id=user_id, user__is_active=True)
            .first()
        )
        if membership is None or membership.role != Role.GOVERNOR:
            raise ValidationError(
                "Name a governor of this school: the chair of governors, or the trust's named "
                "officer given a governor's account here."
            )
        if not membership.user.has_two_factor:
            raise ValidationError(
                "The case manager reads child records: they must set up two-factor sign-in first."
            )
        name = membership.user.full_name
    settings, _ = AllegationSettings.objects.select_for_update().get_or_create(
        defaults={"updated_by_id": actor.pk, "updated_by_name": actor.full_name}
    )
    settings.case_manager_id, settings.case_manager_name = user_id, name
    settings.updated_by_id, settings.updated_by_name = actor.pk, actor.full_name
    settings.save()
    audit_record(
        action=AuditAction.CASE_MANAGER_NAMED,
        actor=actor,
        school=school,
        target_type="user",
        target_id=user_id or "",
        data={"case_manager_id": user_id},
    )
    return settings


def allegation_create(
    *,
    school: School,
    concern: Concern,
    adult_user_id: int | None,
    adult_name: str,
    adult_role: str,
    now: dt.datetime,
) -> Allegation:
    """The allegation record of a concern just recorded. Called by `concern_record`."""
    school_role = ""
    case_manager_id, case_manager_name = None, ""
    if adult_user_id is not None:
        membership = (
            SchoolMembership.objects.select_related("user")
            .filter(school=school, user_id=adult_user_id)
            .first()
        )
        if membership is None:
            raise ValidationError({"adult_user": "Choose a member of this school's staff."})
        adult_name, school_role = membership.user.full_name, membership.role
        adult_role = adult_role or Role(school_role).label
        if school_role == Role.HEADTEACHER and (settings := allegation_settings_get()):
            case_manager_id, case_manager_name = (
                settings.case_manager_id,
                settings.case_manager_name,
            )
    return Allegation.objects.create(
        concern=concern,
        adult_user_id=adult_user_id,
        adult_name=adult_name.strip(),
        adult_role=adult_role.strip(),
        adult_school_role=school_role,
        case_manager_id=case_manager_id,
        case_manager_name=case_manager_name,
        # Within one working day: the LADO works through school holidays.
        lado_due_at=calendar_of(school).add_working_days(now, 1),
    )


def allegation_handler_ids(school: School, allegation: Allegation) -> set[int]:
    """Who is alerted: the DSL and headteacher (and the case manager, when the headteacher is
    the adult concerned), never the adult it is about. For the DSL, that leaves the head."""
    handlers = set(member_ids(school, HANDLERS))
    if allegation.case_manager_id is not None:
        handlers.add(allegation.case_manager_id)
    handlers.discard(allegation.adult_user_id)  # type: ignore[arg-type]
    return handlers


@transaction.atomic
def allegation_record_update(
    *,
    allegation: Allegation,
    actor: Person,
    lado_referred_at: dt.datetime | None = None,
    lado_reference: str | None = None,
    outcome: str | None = None,
    notes: str | None = None,
    adult_date_of_birth: dt.date | None = None,
) -> AllegationVersion:
    """A new version of what is known: the LADO referral, the outcome, notes, the adult's date
    of birth (which sets how long the record is kept). The earlier versions stay as they were;
    the new one supersedes the latest. `None` leaves a value as it is."""
    allegation = Allegation.objects.select_for_update().get(pk=allegation.pk)
    latest = allegation.versions.filter(superseded_by__isnull=True).first()
    values = {
        "lado_referred_at": latest.lado_referred_at if latest else None,
        "lado_reference": latest.lado_reference if latest else "",
        "outcome": latest.outcome if latest else "",
        "notes": latest.notes if latest else "",
        "adult_date_of_birth": latest.adult_date_of_birth if latest else None,
    }
    if lado_referred_at is not None:
        if lado_referred_at > timezone.now() + CLOCK_SKEW:
            raise ValidationError({"referred_at": "The referral time cannot be in the future."})
        if values["lado_referred_at"] is None:
            values["lado_referred_at"] = lado_referred_at
    if lado_reference is not None and lado_reference.strip():
        values["lado_reference"] = lado_reference.strip()
    if outcome is not None:
        if outcome not in AllegationVersion.Outcome.values:
            raise ValidationError({"outcome": "Choose an outcome from the list."})
        values["outcome"] = outcome
    if notes is not None:
        values["notes"] = notes.strip()
    if adult_date_of_birth is not None:
        # An adult working in a school: at least 16, and born in the last century or this one.
        if (
            not dt.date(1900, 1, 1)
            <= adult_date_of_birth
            <= timezone.localdate().replace(year=timezone.localdate().year - 16)
        ):
            raise ValidationError({"adult_date_of_birth": "Give the adult's real date of birth."})
        values["adult_date_of_birth"] = adult_date_of_birth
    if latest is not None and all(getattr(latest, k) == v for k, v in values.items()):
        raise ValidationError("Nothing has changed: no new version recorded.")
    version = AllegationVersion.objects.create(
        allegation=allegation,
        supersedes=latest,
        recorded_by_id=actor.user_id,
        recorded_by_name=actor.name,
        recorded_by_role=actor.role,
        **values,
    )
    statistics_changed()
    return version


@transaction.atomic
def allegations_escalate_overdue(*, school: School, now: dt.datetime | None = None) -> list[int]:
    """Alerts the handlers, once, about allegations not reported to the LADO in time.

    Safe to run twice at once: each allegation is claimed by a conditional UPDATE before anyone
    is alerted, so only one run chases it.
    """
    now = now or timezone.now()
    candidates = (
        Allegation.objects.filter(lado_escalated_at__isnull=True, lado_due_at__lte=now)
        .exclude(versions__lado_referred_at__isnull=False)
        .values_list("pk", flat=True)
    )
    escalated = []
    for allegation_id in list(candidates):
        claimed = Allegation.objects.filter(
            pk=allegation_id, lado_escalated_at__isnull=True
        ).update(lado_escalated_at=now)
        if not claimed:
            continue
        allegation = Allegation.objects.select_related("concern").get(pk=allegation_id)
        alert(
            allegation_handler_ids(school, allegation),
            allegation.concern,
            Alert.Reason.LADO_OVERDUE,
        )
        alert_emails_after_commit(allegation.concern)
        escalated.append(allegation_id)
    return escalated
