"""Who may read which child's records in this school: the need-to-know rules of
docs/rules.md, "Who reads which records".

Every read of child data goes through a `Reader`, made from the request by `reader_for`. The DSL,
deputies and headteacher read every record; a key holder reads pupils of the year groups the DSL
granted them, and a concern (with its chronology entries and documents) only when it lies wholly
inside the grant: every category on it granted and not restricted, every pupil on it in a granted
year group. Nobody reads an allegation about themselves. Everyone else reads no child data (staff
see only their own receipts). Two-factor must have been passed. docs/security.md, "Need to know".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest

from safeguarding.models import (
    AccessAction,
    Category,
    ChronologyEntry,
    Concern,
    KeyHolderGrant,
    Pupil,
)
from safeguarding.services.access import access_log_record
from safeguarding.services.chronology import Person
from trustplatform.accounts.models import Role
from trustplatform.permissions import Capability, can, roles_here


@dataclass(frozen=True)
class Reader:
    """A person allowed to read some child records here, with what they may read."""

    user_id: int
    name: str
    role: Role
    reads_everything: bool
    category_ids: frozenset[int] = frozenset()
    year_groups: frozenset[int] = frozenset()

    @property
    def sees_allegations(self) -> bool:
        return self.role in {Role.DSL, Role.HEADTEACHER}

    @property
    def person(self) -> Person:
        """The reader as records keep people: id, and name and role at the time."""
        return Person(user_id=self.user_id, name=self.name, role=str(self.role))


def reader_for(request: HttpRequest) -> Reader | None:
    """The request's user as a reader of child records here, or None if they read none."""
    roles = roles_here(request)
    if not roles:
        return None
    role = next(iter(roles))
    user = request.user
    user_id = int(user.pk or 0)  # signed in: roles_here is empty for anonymous users
    if can(request, Capability.VIEW_ALL_RECORDS):
        return Reader(user_id=user_id, name=user.full_name, role=role, reads_everything=True)  # type: ignore[union-attr]
    if can(request, Capability.VIEW_GRANTED_RECORDS):
        grant = KeyHolderGrant.objects.filter(user_id=user_id).first()
        restricted = set(
            Category.objects.filter(sensitivity=Category.Sensitivity.RESTRICTED).values_list(
                "pk", flat=True
            )
        )
        categories = (
            frozenset(grant.categories.values_list("pk", flat=True)) - restricted
            if grant
            else frozenset()
        )
        return Reader(
            user_id=user_id,
            name=user.full_name,  # type: ignore[union-attr]
            role=role,
            reads_everything=False,
            category_ids=categories,
            year_groups=frozenset(grant.year_groups) if grant else frozenset(),
        )
    return None


def reader_required(request: HttpRequest) -> Reader:
    """For views behind `require` that show child records: the reader, or the same 404."""
    reader = reader_for(request)
    if reader is None:
        raise Http404
    return reader


def pupils_visible(reader: Reader) -> QuerySet[Pupil]:
    pupils = Pupil.objects.all()
    if reader.reads_everything:
        return pupils
    return pupils.filter(year_group__in=reader.year_groups)


def chronology_visible(reader: Reader, pupil: Pupil) -> QuerySet[ChronologyEntry]:
    entries = ChronologyEntry.objects.filter(pupil=pupil)
    if reader.reads_everything:
        return entries.filter(Q(concern__isnull=True) | Q(concern__in=concerns_visible(reader)))
    # A key holder sees an entry only when all its categories are granted (an entry with none,
    # such as a call or a disclosure outside any concern, is not theirs), and, when it belongs
    # to a concern, only when that whole concern is theirs to see.
    return entries.filter(
        Q(concern__isnull=True) | Q(concern__in=concerns_visible(reader)),
        category_ids__contained_by=sorted(reader.category_ids),
    ).exclude(category_ids=[])


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


def pupil_get_for_reader(
    *,
    reader: Reader | None,
    pupil_id: int,
    request: HttpRequest | None = None,
    action: AccessAction = AccessAction.VIEWED_RECORD,
) -> Pupil:
    """The pupil, if this reader may see them; the same 404 for missing and not allowed.

    Every successful read is written to the school's access log.
    """
    if reader is None:
        raise Http404
    pupil = pupils_visible(reader).filter(pk=pupil_id).first()
    if pupil is None:
        raise Http404
    access_log_record(
        actor_id=reader.user_id,
        actor_name=reader.name,
        actor_role=str(reader.role),
        action=action,
        object_type="pupil",
        object_id=pupil.pk,
        pupil_id=pupil.pk,
        request=request,
    )
    return pupil
