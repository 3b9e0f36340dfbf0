"""Subject access requests: which there are, what each would release, and what to redact.

docs/rules.md, "Subject access". For the DSL and deputies (Capability.MANAGE_SUBJECT_ACCESS,
checked by the views); missing and forbidden are the same 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from safeguarding.export_pdf import EntryRow, Redactions, _words, entry_row
from safeguarding.models import (
    ChronologyEntry,
    Concern,
    Exemption,
    FamilyLink,
    Pupil,
    SubjectAccessRequest,
)
from safeguarding.permissions import Reader
from safeguarding.selectors.chronology import chronology_entries
from safeguarding.selectors.exports import concern_body_maps
from tenants.db import school_connection
from tenants.models import School
from trustplatform.accounts.models import SchoolMembership


def sar_get_for_reader(*, reader: Reader | None, sar_id: int) -> SubjectAccessRequest:
    """The request, to those who read every record; the same 404 for missing and forbidden."""
    if reader is None or not reader.reads_everything:
        raise Http404
    sar = SubjectAccessRequest.objects.select_related("pupil").filter(pk=sar_id).first()
    if sar is None:
        raise Http404
    return sar


def sars_of_pupil(pupil: Pupil) -> QuerySet[SubjectAccessRequest]:
    """A pupil's requests, newest received first. The caller has checked the reader."""
    return SubjectAccessRequest.objects.filter(pupil=pupil).order_by("-received_on", "-pk")


@dataclass(frozen=True)
class SarDue:
    """An open request against its deadline, for the dashboard."""

    sar: SubjectAccessRequest
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)


def sars_open(*, today: dt.date) -> list[SarDue]:
    """Open requests, soonest due first, each with the days left (negative once overdue)."""
    return [
        SarDue(sar=sar, days_left=(sar.due_on - today).days)
        for sar in SubjectAccessRequest.objects.filter(status=SubjectAccessRequest.Status.OPEN)
        .select_related("pupil")
        .order_by("due_on", "pk")
    ]


def sar_entries(reader: Reader, sar: SubjectAccessRequest) -> QuerySet[ChronologyEntry]:
    """Every entry of the pupil's chronology the request covers: the current version of each
    (a corrected entry's current text), in the order things happened."""
    return chronology_entries(reader, sar.pupil, {}).filter(superseded_by__isnull=True)


@dataclass(frozen=True)
class Decision:
    entry: ChronologyEntry
    exemption: str  # "" when released

    @property
    def withheld(self) -> bool:
        return bool(self.exemption)

    @property
    def exemption_label(self) -> str:
        return Exemption(self.exemption).label if self.exemption else ""


def sar_decisions(reader: Reader, sar: SubjectAccessRequest) -> list[Decision]:
    """Each entry with what happens to it: released, or withheld under an exemption."""
    withheld = dict(sar.withholdings.values_list("entry_id", "exemption"))
    entries = sar_entries(reader, sar).select_related("action")
    if sar.released_at is not None:
        # What the release covered: entries recorded since (its own chronology note first) were
        # never part of it.
        entries = entries.filter(recorded_at__lte=sar.released_at)
    return [Decision(entry=entry, exemption=withheld.get(entry.pk, "")) for entry in entries]


def sar_released_rows(
    reader: Reader, sar: SubjectAccessRequest, *, phrases: Iterable[str]
) -> list[EntryRow]:
    """The released entries as printed: each of `phrases` replaced by "[redacted]" in every
    text, and members of staff named by their role."""
    released = sar_entries(reader, sar).exclude(
        pk__in=sar.withholdings.values_list("entry_id", flat=True)
    )
    body_maps = concern_body_maps(released)
    redactions = Redactions(phrases)
    return [
        entry_row(
            entry,
            staff=redactions,
            superseded=False,
            body_map=body_maps.get(entry.concern_id)
            if entry.kind == ChronologyEntry.Kind.CONCERN and entry.concern_id
            else None,
        )
        for entry in released.select_related("action")
    ]


def _texts(rows: Iterable[EntryRow]) -> list[str]:
    texts: list[str] = []
    for row in rows:
        texts += [row.title, row.body, row.written_by, row.correction_reason]
        texts += [value for _, value in row.facts]
        texts += [mark.note for mark in row.body_marks]
    return texts


def _candidates(pupil: Pupil) -> list[str]:
    """Names of third parties the record may hold: other pupils (every pupil by full name; the
    pupil's family and the children on the pupil's concerns by first and last name on their own
    too) and the school's staff (full, first and last names)."""
    linked = {
        *Concern.pupils.through.objects.filter(concern__pupils=pupil).values_list(
            "pupil_id", flat=True
        ),
        *FamilyLink.objects.filter(pupil=pupil).values_list("relative_id", flat=True),
        *FamilyLink.objects.filter(relative=pupil).values_list("pupil_id", flat=True),
    }
    names: list[str] = []
    for pk, legal_first, legal_last, preferred_first, preferred_last in (
        Pupil.objects.exclude(pk=pupil.pk)
        .values_list(
            "pk",
            "legal_first_name",
            "legal_last_name",
            "preferred_first_name",
            "preferred_last_name",
        )
        .iterator()
    ):
        firsts = {legal_first, preferred_first or legal_first}
        lasts = {legal_last, preferred_last or legal_last}
        names += [f"{first} {last}" for first in firsts for last in lasts]
        if pk in linked:
            names += [*firsts, *lasts]
    school = School.objects.get(schema_name=school_connection.schema_name)
    for full_name in SchoolMembership.objects.filter(school=school).values_list(
        "user__full_name", flat=True
    ):
        parts = full_name.split()
        names.append(full_name)
        if len(parts) >= 2:
            names += [parts[0], parts[-1]]
    return names


def redaction_suggestions(pupil: Pupil, rows: Iterable[EntryRow]) -> list[str]:
    """The names of other pupils and of staff found, as whole words, in the released texts;
    never the pupil's own names. In the order first met in the list of names, without repeats."""
    longest = 4
    seen: set[tuple[str, ...]] = set()
    for text in _texts(rows):
        words = _words(text)
        for size in range(1, longest + 1):
            seen.update(words[i : i + size] for i in range(len(words) - size + 1))
    own = {
        word
        for name in (
            pupil.legal_first_name,
            pupil.legal_last_name,
            pupil.first_name,
            pupil.last_name,
        )
        for word in _words(name)
    }
    found: dict[tuple[str, ...], str] = {}
    for name in _candidates(pupil):
        key = _words(name)
        if not key or key in found or set(key) <= own or key not in seen:
            continue
        found[key] = name
    return list(found.values())
