"""Concerns as a reader may see them: wholly inside a key holder's grant or not at all, and an
allegation never to the adult it is about (docs/rules.md, "Who reads which records")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import (
    BooleanField,
    Case,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Least, TruncDate
from django.http import Http404, HttpRequest

from safeguarding.models import (
    AccessAction,
    Alert,
    AllegationVersion,
    Concern,
    Pupil,
    moved_with_the_file,
)
from safeguarding.permissions import Reader
from safeguarding.services.access import access_log_record
from trustplatform.schooldays.calendar import LONDON


def concerns_visible(reader: Reader) -> QuerySet[Concern]:
    concerns = Concern.objects.all()
    if not reader.sees_allegations:
        concerns = concerns.filter(allegation__isnull=True)
    else:
        # An allegation is never shown to the adult it is about (KCSIE Part 4).
        concerns = concerns.exclude(allegation__adult_user_id=reader.user_id)
    if reader.reads_everything:
        return concerns
    # Wholly inside the grant, or not at all: no category and no pupil outside it.
    category_outside = Concern.categories.through.objects.filter(concern=OuterRef("pk")).exclude(
        category_id__in=reader.category_ids
    )
    pupil_outside = Concern.pupils.through.objects.filter(concern=OuterRef("pk")).exclude(
        pupil__year_group__in=reader.year_groups
    )
    return concerns.filter(~Exists(category_outside), ~Exists(pupil_outside))


def concern_get_for_reader(*, reader: Reader, concern_id: int) -> Concern:
    """The concern, if this reader may see it; the same 404 for missing and not allowed."""
    concern = concerns_visible(reader).filter(pk=concern_id).first()
    if concern is None:
        raise Http404
    return concern


def concern_list_for_reader(
    reader: Reader,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    category_id: int | None = None,
) -> QuerySet[Concern]:
    """The current version of each concern this reader may see, newest first, that happened
    between `since` and `until` (London days, inclusive) and carries `category_id`."""
    concerns = concerns_visible(reader).filter(superseded_by__isnull=True)
    if since is not None:
        concerns = concerns.filter(occurred_at__gte=dt.datetime.combine(since, dt.time(0), LONDON))
    if until is not None:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), LONDON)
        concerns = concerns.filter(occurred_at__lt=end)
    if category_id is not None:
        concerns = concerns.filter(categories=category_id)
    return concerns.prefetch_related("pupils", "categories").order_by("-occurred_at", "-pk")


def concern_open_for_reader(
    *, reader: Reader, concern_id: int, request: HttpRequest | None = None
) -> Concern:
    """The concern, read: one access-log entry per child on it, as the concern page writes;
    the same 404 for missing and not allowed."""
    concern = concern_get_for_reader(reader=reader, concern_id=concern_id)
    for pupil in concern.pupils.all():
        access_log_record(
            person=reader.person,
            action=AccessAction.VIEWED_RECORD,
            object_type="concern",
            object_id=concern.pk,
            pupil_id=pupil.pk,
            request=request,
        )
    return concern


def concern_moved_to(concern: Concern, pupils: Sequence[Pupil]) -> list[str]:
    """The schools the concern moved to with its children's files (`moved_with_the_file`), by
    name, from its `pupils` the caller has read; none while any child it names is still here.
    Such a concern is read-only here: every record about those children is refused
    (docs/transfers.md)."""
    moved = Concern.objects.filter(pk=concern.pk).filter(moved_with_the_file()).exists()
    return sorted({p.transferred_out_to for p in pupils}) if moved else []


def concern_versions(concern: Concern, reader: Reader) -> list[Concern]:
    """Every version of the concern this reader may see, oldest first (corrections supersede,
    both stay; an earlier version outside a key holder's grant is not theirs to read)."""
    versions = [concern]
    if not reader.reads_everything:
        # Only those who read every record see an earlier version (docs/rules.md, "Corrections").
        return versions
    while versions[0].supersedes_id:
        versions.insert(0, Concern.objects.get(pk=versions[0].supersedes_id))
    visible = set(
        concerns_visible(reader)
        .filter(pk__in=[v.pk for v in versions])
        .values_list("pk", flat=True)
    )
    return [v for v in versions if v.pk in visible]


def concern_current(concern: Concern) -> Concern:
    """The newest version of a concern: its case goes on there, alerts and links may be older."""
    while (newer := Concern.objects.filter(supersedes=concern).first()) is not None:
        concern = newer
    return concern


def concern_get_own(*, author_id: int, concern_id: int) -> Concern:
    """A concern its author recorded, for their receipt; the same 404 for anyone else's."""
    concern = (
        Concern.objects.filter(pk=concern_id, author_id=author_id, supersedes__isnull=True)
        .prefetch_related("pupils", "categories")
        .first()
    )
    if concern is None:
        raise Http404
    return concern


def concerns_of_author(*, author_id: int) -> QuerySet[Concern]:
    """The concerns a member of staff recorded, newest first: their receipts. A receipt is what
    its author recorded: corrections are not theirs to file."""
    return (
        Concern.objects.filter(author_id=author_id, supersedes__isnull=True)
        .prefetch_related("pupils", "categories")
        .order_by("-recorded_at")
    )


def concern_inbox_for_reader(reader: Reader, *, status: str = "") -> QuerySet[Concern]:
    """The concerns this reader may see, most urgent first; only those of `status` when it is
    one (anything else is ignored).

    Urgency: concerns waiting to be screened, oldest first; then the cases, by their next due
    date (the earliest open action's, or the LADO deadline of an allegation not yet referred),
    those with none after; closed cases, most recently closed first; last, the concerns that moved
    with a child's file to another school (`moved_with_the_file`: the receiving school's to act
    on, so in no status's list here). Each carries `next_due`, that date, and `moved_away`.
    """
    moved = moved_with_the_file()
    concerns = concerns_visible(reader).filter(superseded_by__isnull=True)
    concerns = concerns.prefetch_related("pupils", "categories")
    if status in Concern.Status.values:
        concerns = concerns.filter(status=status).exclude(moved)
    referred = AllegationVersion.objects.filter(
        allegation__concern=OuterRef("pk"), lado_referred_at__isnull=False
    )
    lado_due = Case(
        When(Exists(referred), then=None),
        default=TruncDate("allegation__lado_due_at", tzinfo=LONDON),
        output_field=DateField(),
    )
    action_due = Min("actions__due_on", filter=Q(actions__completed_at__isnull=True))
    urgency = Case(
        When(moved, then=Value(3)),
        When(status=Concern.Status.NEW, then=Value(0)),
        When(status=Concern.Status.CLOSED, then=Value(2)),
        default=Value(1),
    )
    waiting_since = Case(
        When(moved, then=None), When(status=Concern.Status.NEW, then=F("recorded_at"))
    )
    return concerns.annotate(
        moved_away=ExpressionWrapper(moved, output_field=BooleanField()),
        urgency=urgency,
        waiting_since=waiting_since,
        next_due=Case(
            When(moved, then=None),
            When(status=Concern.Status.CLOSED, then=None),
            default=Least(action_due, lado_due),
            output_field=DateField(),
        ),
    ).order_by(
        "urgency",
        F("waiting_since").asc(nulls_last=True),
        F("next_due").asc(nulls_last=True),
        F("closed_at").desc(nulls_last=True),
        "-recorded_at",
        "-pk",
    )


def alerts_of_user(*, user_id: int) -> QuerySet[Alert]:
    """A person's own alerts. An alert says only that something needs attention."""
    return Alert.objects.filter(user_id=user_id).select_related("concern__allegation")
