"""What waits for someone on the school's home page, as far as they may see it.

Each section is a count and the first few items, read through the same selectors as the pages
they link to (`concerns_visible`, `chronology_visible_school_wide`): a key holder's dashboard
holds only what their grant allows, an allegation is never shown to the adult it is about, and
someone who reads no records sees only their own tasks and alerts (docs/rules.md, "Who reads
which records"). Every section costs a fixed number of queries, whatever it holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Value
from django.utils import timezone

from safeguarding.models import (
    Action,
    Alert,
    Allegation,
    AllegationVersion,
    ChronologyEntry,
    Concern,
    OutsideTransfer,
    Pupil,
    moved_with_the_file,
)
from safeguarding.permissions import Reader
from safeguarding.selectors.chronology import chronology_visible_school_wide
from safeguarding.selectors.concerns import concerns_visible
from safeguarding.selectors.outside_transfers import outside_transfers_overdue
from safeguarding.selectors.subject_access import SarDue, sars_open
from safeguarding.services.concerns import ENCOMPASS_CODE, encompass_due_at, screening_due_at
from tenants.models import School
from trustplatform.accounts.models import Role
from trustplatform.permissions import Capability, role_allows
from trustplatform.schooldays.calendar import SchoolCalendar
from trustplatform.transfers.models import Transfer

# Enough to act on at a glance; the count says how many more the full page holds.
SHOWN = 10
# A deadline this close is marked as due soon.
DUE_SOON = dt.timedelta(hours=4)

T = TypeVar("T")


@dataclass(frozen=True)
class Section(Generic[T]):
    """A count, and the first `SHOWN` of what it counts."""

    count: int
    items: list[T] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.items)


@dataclass(frozen=True)
class Awaiting:
    """A concern waiting to be screened, against its screening deadline."""

    concern: Concern
    due_at: dt.datetime
    overdue: bool
    due_soon: bool


@dataclass(frozen=True)
class AllegationDue:
    """An allegation not yet closed, with its LADO deadline."""

    allegation: Allegation
    referred: bool
    overdue: bool


@dataclass(frozen=True)
class Dashboard:
    """The home page's sections; None where the person may not see that kind of thing."""

    assigned_to_me: Section[Action]
    unread_alerts: Section[Alert]
    awaiting_screening: Section[Awaiting] | None = None
    overdue_actions: Section[Action] | None = None
    allegations: Section[AllegationDue] | None = None
    recent_activity: Section[ChronologyEntry] | None = None
    # Open subject access requests against their one-month deadline, for the DSL and deputies.
    subject_access: list[SarDue] | None = None
    transfers_overdue: list[Transfer] | None = None
    # Files sent outside the trust whose signed receipt is not back in time (docs/transfers.md).
    outside_transfers_overdue: list[OutsideTransfer] | None = None


def _section(queryset: QuerySet[T]) -> Section[T]:  # type: ignore[type-var]
    return Section(count=queryset.count(), items=list(queryset[:SHOWN]))


def _pupil_names() -> Prefetch:
    return Prefetch(
        "pupils",
        queryset=Pupil.objects.only(
            "legal_first_name", "legal_last_name", "preferred_first_name", "preferred_last_name"
        ),
    )


def awaiting_screening(
    reader: Reader, *, calendar: SchoolCalendar, now: dt.datetime
) -> Section[Awaiting]:
    """Concerns not yet screened, oldest first, each with its screening deadline. Allegations
    have their own section and deadline (the LADO's)."""
    concerns = (
        concerns_visible(reader)
        .filter(status=Concern.Status.NEW, superseded_by__isnull=True, allegation__isnull=True)
        .exclude(moved_with_the_file())
        .prefetch_related(_pupil_names(), "categories")
        .order_by("recorded_at", "pk")
    )
    section = _section(concerns)
    items = []
    for concern in section.items:
        # A police notification is due by the next start of day (docs/rules.md, "Operation
        # Encompass"); categories are prefetched, so this asks no query.
        encompass = any(c.code == ENCOMPASS_CODE for c in concern.categories.all())
        deadline = encompass_due_at if encompass else screening_due_at
        due_at = deadline(calendar, concern.recorded_at)
        items.append(
            Awaiting(
                concern=concern,
                due_at=due_at,
                overdue=due_at <= now,
                due_soon=now < due_at <= now + DUE_SOON,
            )
        )
    return Section(count=section.count, items=items)


def overdue_actions(reader: Reader, *, today: dt.date) -> Section[Action]:
    """Actions past their due date and not completed, on concerns this reader may see."""
    actions = (
        Action.objects.filter(
            completed_at__isnull=True,
            due_on__lt=today,
            concern__in=concerns_visible(reader),
        )
        .exclude(moved_with_the_file("concern_id"))
        .select_related("concern")
        .order_by("due_on", "pk")
    )
    return _section(actions)


def _readable(reader: Reader | None) -> Exists | Value:
    """Whether the row's concern is one this reader may open."""
    if reader is None:
        return Value(False)
    return Exists(concerns_visible(reader).filter(pk=OuterRef("concern_id")))


def assigned_to(user_id: int, reader: Reader | None) -> Section[Action]:
    """The open actions assigned to this person, soonest due first. `readable` marks those whose
    concern they may open; the others are only theirs to do (their tasks page shows them)."""
    actions = (
        Action.objects.filter(assignee_id=user_id, completed_at__isnull=True)
        .exclude(moved_with_the_file("concern_id"))
        .annotate(readable=_readable(reader))
        .only("pk", "concern_id", "kind", "due_on", "created_at")
        .order_by(F("due_on").asc(nulls_last=True), "created_at", "pk")
    )
    return _section(actions)


def unread_alerts(user_id: int, reader: Reader | None) -> Section[Alert]:
    """A person's unread alerts, newest first. `readable` marks those whose concern they may
    open; an allegation's alert opens the allegation's own page."""
    alerts = (
        Alert.objects.filter(user_id=user_id, read_at__isnull=True)
        .annotate(
            is_allegation=Exists(Allegation.objects.filter(concern=OuterRef("concern_id"))),
            readable=_readable(reader),
        )
        .order_by("-created_at", "-pk")
    )
    return _section(alerts)


def unread_alert_count(user_id: int) -> int:
    return Alert.objects.filter(user_id=user_id, read_at__isnull=True).count()


def allegations_open(
    reader: Reader | None, *, user_id: int, now: dt.datetime
) -> Section[AllegationDue] | None:
    """Allegations whose case is not closed, LADO deadline first, for those who handle them:
    the DSL and headteacher, and a case manager for theirs; never the adult concerned."""
    if reader is not None and reader.sees_allegations:
        allegations = Allegation.objects.filter(concern__in=concerns_visible(reader))
    else:
        allegations = Allegation.objects.filter(case_manager_id=user_id).exclude(
            adult_user_id=user_id
        )
        if not allegations.exists():
            return None
    referred = AllegationVersion.objects.filter(
        allegation=OuterRef("pk"), lado_referred_at__isnull=False
    )
    allegations = (
        allegations.exclude(concern__status=Concern.Status.CLOSED)
        .annotate(referred=Exists(referred))
        .only("pk", "concern_id", "adult_name", "adult_role", "lado_due_at")
        .order_by("referred", "lado_due_at", "pk")
    )
    section = _section(allegations)
    return Section(
        count=section.count,
        items=[
            AllegationDue(
                allegation=allegation,
                referred=allegation.referred,  # type: ignore[attr-defined]
                overdue=not allegation.referred and allegation.lado_due_at <= now,  # type: ignore[attr-defined]
            )
            for allegation in section.items
        ],
    )


def recent_activity(reader: Reader) -> Section[ChronologyEntry]:
    """The latest entries of the school's chronology this reader may see, newest first."""
    entries = (
        chronology_visible_school_wide(reader)
        .select_related("pupil")
        .only(
            "pk",
            "kind",
            "title",
            "recorded_at",
            "author_name",
            "concern_id",
            "pupil__legal_first_name",
            "pupil__legal_last_name",
            "pupil__preferred_first_name",
            "pupil__preferred_last_name",
        )
        .order_by("-recorded_at", "-pk")
    )
    return _section(entries)


def transfers_overdue_here(*, school: School, now: dt.datetime | None = None) -> list[Transfer]:
    """Files moving from or to this school still waiting past their deadline
    (docs/transfers.md, "Deadline"): shown to the DSL and deputies of both schools."""
    now = now or timezone.now()
    return list(
        Transfer.objects.filter(
            Q(from_school=school) | Q(to_school=school),
            status=Transfer.Status.PENDING,
            due_at__lt=now,
        )
        .select_related("from_school", "to_school")
        .order_by("due_at", "pk")
    )


def dashboard_for(
    *,
    reader: Reader | None,
    user_id: int,
    calendar: SchoolCalendar | None,
    now: dt.datetime,
    today: dt.date,
    school: School | None = None,
) -> Dashboard:
    """The home page of one person: a reader of records sees what waits for them as their
    reading allows; anyone else only their own tasks and alerts (and a case manager, theirs)."""
    if reader is None or calendar is None:
        return Dashboard(
            assigned_to_me=assigned_to(user_id, None),
            unread_alerts=unread_alerts(user_id, None),
            allegations=allegations_open(None, user_id=user_id, now=now),
        )
    return Dashboard(
        assigned_to_me=assigned_to(user_id, reader),
        unread_alerts=unread_alerts(user_id, reader),
        awaiting_screening=awaiting_screening(reader, calendar=calendar, now=now),
        overdue_actions=overdue_actions(reader, today=today),
        allegations=allegations_open(reader, user_id=user_id, now=now)
        if reader.sees_allegations
        else None,
        recent_activity=recent_activity(reader),
        subject_access=sars_open(today=today)
        if role_allows(frozenset({Role(reader.role)}), Capability.MANAGE_SUBJECT_ACCESS)
        else None,
        transfers_overdue=transfers_overdue_here(school=school, now=now)
        if school is not None and reader.role in {Role.DSL, Role.DEPUTY_DSL}
        else None,
        outside_transfers_overdue=list(outside_transfers_overdue(now=now))
        if reader.role in {Role.DSL, Role.DEPUTY_DSL}
        else None,
    )
