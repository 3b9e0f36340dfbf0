"""Pupils as a reader may see them: by year group for a key holder, all for those who read
everything (docs/rules.md, "Who reads which records")."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from safeguarding.models import AccessAction, FamilyLink, Pupil
from safeguarding.permissions import Reader
from safeguarding.services.access import access_log_record
from safeguarding.services.pupils import upn_normalise

# The fields the list and the recording search show: nothing else is loaded.
LIST_FIELDS = (
    "legal_first_name",
    "legal_last_name",
    "preferred_first_name",
    "preferred_last_name",
    "year_group",
    "form",
    "leaving_date",
)


def pupils_visible(reader: Reader) -> QuerySet[Pupil]:
    pupils = Pupil.objects.all()
    if reader.reads_everything:
        return pupils
    return pupils.filter(year_group__in=reader.year_groups)


def pupil_get_unlogged(*, reader: Reader | None, pupil_id: int) -> Pupil:
    """The pupil, if this reader may see them, without writing to the access log: for a service
    that writes its own entry (an export); the same 404 for missing and not allowed."""
    if reader is None:
        raise Http404
    pupil = pupils_visible(reader).filter(pk=pupil_id).first()
    if pupil is None:
        raise Http404
    return pupil


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
    pupil = pupil_get_unlogged(reader=reader, pupil_id=pupil_id)
    access_log_record(
        person=reader.person,
        action=action,
        object_type="pupil",
        object_id=pupil.pk,
        pupil_id=pupil.pk,
        request=request,
    )
    return pupil


def pupil_names_match(query: str, *, upn: bool = False) -> Q:
    """Every word of `query` in a legal or preferred name ('jo smi' finds Joanna Smith)."""
    matches = Q()
    for term in query.split():
        term_matches = (
            Q(legal_first_name__icontains=term)
            | Q(legal_last_name__icontains=term)
            | Q(preferred_first_name__icontains=term)
            | Q(preferred_last_name__icontains=term)
        )
        if upn:
            term_matches |= Q(upn__icontains=upn_normalise(term))
        matches &= term_matches
    return matches


def pupil_list_for_reader(
    reader: Reader, *, status: str, year_group: int | None, query: str
) -> QuerySet[Pupil]:
    """The pupil list: pupils this reader may see, on roll or leavers or all (`status`), in a
    year group, and matching every word of `query` in a name or the UPN; by name."""
    pupils = pupils_visible(reader)
    if status == "on_roll":
        pupils = pupils.filter(leaving_date__isnull=True)
    elif status == "leavers":
        pupils = pupils.filter(leaving_date__isnull=False)
    if year_group is not None:
        pupils = pupils.filter(year_group=year_group)
    if query:
        pupils = pupils.filter(pupil_names_match(query, upn=True))
    return pupils.only(*LIST_FIELDS).order_by("legal_last_name", "legal_first_name", "pk")


def pupils_on_roll_named(query: str) -> QuerySet[Pupil]:
    """Pupils on roll matching every word of `query` in a name, by name: the search any member
    of staff uses to tick the right child while recording, with name, year group and form only.
    The caller limits how many it shows."""
    return (
        Pupil.objects.filter(pupil_names_match(query), leaving_date__isnull=True)
        .only(*LIST_FIELDS)
        .order_by("legal_last_name", "legal_first_name", "pk")
    )


def pupil_family(pupil: Pupil) -> list[tuple[FamilyLink, Pupil]]:
    """The pupil's family links, each with the other pupil, whichever way round it was stored."""
    links = (
        FamilyLink.objects.filter(Q(pupil=pupil) | Q(relative=pupil))
        .select_related("pupil", "relative")
        .order_by("relationship", "pk")
    )
    return [(link, link.relative if link.pupil_id == pupil.pk else link.pupil) for link in links]


def pupil_family_visible(
    reader: Reader, links: list[tuple[FamilyLink, Pupil]]
) -> list[tuple[FamilyLink, Pupil]]:
    """The family links whose relative this reader may see.

    A key holder sees relatives only within their own year groups; the rest are counted by the
    caller so they know to ask the DSL, but not named.
    """
    if reader.reads_everything:
        return links
    allowed = set(
        pupils_visible(reader)
        .filter(pk__in=[other.pk for _, other in links])
        .values_list("pk", flat=True)
    )
    return [(link, other) for link, other in links if other.pk in allowed]


def pupil_roll(
    reader: Reader | None, *, status: str = "all", year_group: int | None = None
) -> QuerySet[Pupil]:
    """The pupil roll as the API lists it: a reader's visible pupils, or (`reader` None) every
    pupil, for those who import pupils and so keep the whole roll; by name."""
    pupils = pupils_visible(reader) if reader is not None else Pupil.objects.all()
    if status == "on_roll":
        pupils = pupils.filter(leaving_date__isnull=True)
    elif status == "leavers":
        pupils = pupils.filter(leaving_date__isnull=False)
    if year_group is not None:
        pupils = pupils.filter(year_group=year_group)
    return pupils.order_by("legal_last_name", "legal_first_name", "pk")


def pupil_roll_get(
    *, reader: Reader | None, pupil_id: int, request: HttpRequest | None = None
) -> Pupil:
    """One pupil of `pupil_roll`: a reader's read is written to the access log, as the pupil
    page's is; the same 404 for missing and not allowed."""
    if reader is not None:
        return pupil_get_for_reader(reader=reader, pupil_id=pupil_id, request=request)
    pupil = Pupil.objects.filter(pk=pupil_id).first()
    if pupil is None:
        raise Http404
    return pupil
