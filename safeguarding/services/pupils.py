"""Enrolling and editing pupils, and the family links between them.

Runs inside a school's schema: never filters by school. Pupils are never deleted here: a leaver
keeps their record (retention runs from the date of birth: docs/rules.md, "Retention").
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from safeguarding.models import ChronologyEntry, FamilyLink, Pupil, PupilHistory
from safeguarding.services.chronology import Person, chronology_append
from tenants.db import school_connection
from trustplatform.statistics.services import statistics_refresh_soon

# Ids only: a log line must never carry a child's name or UPN (docs/rules.md, "No side channels").
logger = logging.getLogger(__name__)

# The fields a person (or an MIS import) sets; the timestamps are the database's own.
EDITABLE_FIELDS: tuple[str, ...] = (
    "upn",
    "mis_id",
    "legal_first_name",
    "legal_last_name",
    "preferred_first_name",
    "preferred_last_name",
    "date_of_birth",
    "sex",
    "year_group",
    "form",
    "admission_date",
    "leaving_date",
    *Pupil.FLAG_FIELDS,
)

# The fields whose changes are kept as the pupil's history (PupilHistory), not in the
# chronology: what the school's provision rests on. Names, date of birth and sex are
# corrections rather than events, and a history of them would only copy personal data.
HISTORY_FIELDS = (
    "upn",
    "mis_id",
    "year_group",
    "form",
    "admission_date",
    "leaving_date",
    *Pupil.FLAG_FIELDS,
)


def history_text(value: object) -> str:
    """A value of a pupil field as PupilHistory keeps it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# The DfE's check-letter alphabet: A-Z without I, O and S ("Unique pupil numbers (UPNs)",
# DfE guidance). A temporary UPN ends in one of these letters instead of a digit.
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN_SHAPE = re.compile(rf"[A-Z]\d{{11}}[0-9{UPN_LETTERS}]")


def field_label(name: str) -> str:
    """A pupil field's name as people read it: 'Legal first name', 'EHC plan'."""
    label = str(cast("models.Field[Any, Any]", Pupil._meta.get_field(name)).verbose_name)
    return label[:1].upper() + label[1:]


def upn_normalise(value: str) -> str:
    """A UPN as typed or exported ('a123 4567 89012') in its stored form ('A123456789012')."""
    return "".join(value.split()).upper()


def upn_check_letter(rest: str) -> str:
    """The check letter for a UPN whose last 12 characters are `rest` (the DfE's modulus 23)."""
    total = sum(
        weight * (int(char) if char.isdigit() else UPN_LETTERS.index(char))
        for weight, char in enumerate(rest, start=2)
    )
    return UPN_LETTERS[total % 23]


def upn_problem(upn: str) -> str | None:
    """Why `upn` (already normalised) is not a valid UPN, or None when it is."""
    if not upn:
        return "The UPN is missing."
    if not _UPN_SHAPE.fullmatch(upn):
        return (
            f"“{upn}” is not a UPN: a UPN is a capital letter followed by 12 characters, "
            "e.g. A123456789012."
        )
    # The check letter catches a mistyped digit before two pupils' records get mixed up.
    if upn_check_letter(upn[1:]) != upn[0]:
        return f"“{upn}” has the wrong check letter: look for a mistyped character."
    return None


def pupil_problems(
    pupil: Pupil, *, exclude: frozenset[str] = frozenset(), today: dt.date | None = None
) -> dict[str, list[str]]:
    """Everything wrong with `pupil` as it stands, by field, without asking the database.

    Shared by the forms' services and the CSV import, so a pupil typed in and a pupil imported
    pass exactly the same checks. Uniqueness of the UPN is the caller's to check. `today` lets
    a caller checking thousands of pupils work out the date once.
    """
    problems: dict[str, list[str]] = {}
    if "upn" not in exclude and (problem := upn_problem(pupil.upn)):
        problems["upn"] = [problem]
    try:
        pupil.full_clean(
            exclude=[*exclude, "upn"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            problems.setdefault(field, []).extend(messages)
    today = today or timezone.localdate()
    if "date_of_birth" not in exclude and pupil.date_of_birth and pupil.date_of_birth > today:
        problems.setdefault("date_of_birth", []).append("The date of birth is in the future.")
    if (
        pupil.admission_date
        and pupil.leaving_date
        and pupil.leaving_date < pupil.admission_date
        and not {"admission_date", "leaving_date"} & exclude
    ):
        problems.setdefault("leaving_date", []).append(
            "The leaving date is before the admission date."
        )
    return problems


# A note on a flag change is a line or two for the chronology, not a case file.
FLAG_NOTE_MAX_LENGTH = 2000


def flag_since_field(flag: str) -> str:
    """The field holding the day a safeguarding flag took effect."""
    return f"{flag}_since"


def _flag_change_problems(
    pupil: Pupil, *, flag: str, set_on: bool, on_date: dt.date, note: str
) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    label = field_label(flag)
    since = getattr(pupil, flag_since_field(flag))
    if set_on and getattr(pupil, flag):
        problems["flag"] = [f"{label} is already set, since {since:%-d %B %Y}."]
    elif not set_on and not getattr(pupil, flag):
        problems["flag"] = [f"{label} is not set, so there is nothing to end."]
    if on_date > timezone.localdate():
        problems["on_date"] = ["The date is in the future: record the change on the day."]
    elif on_date < pupil.date_of_birth:
        problems["on_date"] = ["The date is before the child's date of birth."]
    elif not set_on and since is not None and on_date < since:
        problems["on_date"] = [f"The date is before {label.lower()} began ({since:%-d %B %Y})."]
    if len(note) > FLAG_NOTE_MAX_LENGTH:
        problems["note"] = [f"Keep the note to {FLAG_NOTE_MAX_LENGTH} characters."]
    return problems


@transaction.atomic
def pupil_flag_change(
    *,
    actor: Person,
    pupil: Pupil,
    flag: str,
    set_on: bool,
    on_date: dt.date | None,
    note: str = "",
) -> ChronologyEntry:
    """Sets or ends a safeguarding flag (child-protection plan, child in need, looked after,
    early help) from `on_date`, and adds the change to the child's chronology.

    Raises ValidationError (by field) and changes nothing when the change cannot be made. Who
    may call it is the caller's check (Capability.SET_PUPIL_FLAGS: the DSL and deputies).
    """
    if flag not in Pupil.SAFEGUARDING_FLAGS:
        raise ValidationError({"flag": ["Choose a flag from the list."]})
    if on_date is None:
        raise ValidationError({"on_date": ["Give the date."]})
    # The row is locked so two people changing the same flag at once cannot both succeed.
    locked = Pupil.objects.select_for_update().get(pk=pupil.pk)
    note = note.strip()
    if problems := _flag_change_problems(
        locked, flag=flag, set_on=set_on, on_date=on_date, note=note
    ):
        raise ValidationError(problems)
    since = flag_since_field(flag)
    setattr(locked, flag, set_on)
    setattr(locked, since, on_date if set_on else None)
    locked.save(update_fields=[flag, since, "updated_at"])
    for name in (flag, since, "updated_at"):
        setattr(pupil, name, getattr(locked, name))
    label = field_label(flag)
    title = f"{label}: {'set' if set_on else 'ended'} from {on_date:%-d %B %Y}"
    entry = chronology_append(
        pupil=locked,
        kind=ChronologyEntry.Kind.FLAG_CHANGE,
        author=actor,
        title=title,
        body=note,
        details={"flag": flag, "set": set_on, "date": on_date.isoformat()},
    )
    logger.info(
        "pupil %s flag %s %s by user %s",
        pupil.pk,
        flag,
        "set" if set_on else "ended",
        actor.user_id,
    )
    return entry


def _check_fields(fields: dict[str, Any]) -> None:
    # A wrong keyword is a programming error, not something to show a user.
    if unknown := set(fields) - set(EDITABLE_FIELDS):
        raise TypeError(f"Not a pupil field that can be set: {sorted(unknown)}")


def _save_unique(pupil: Pupil, **save_kwargs: Any) -> None:
    # The database's unique constraint is the last word: two people enrolling the same UPN at
    # the same moment both pass the check, and the second save must fail cleanly.
    try:
        with transaction.atomic():
            pupil.save(**save_kwargs)
    except IntegrityError as error:
        raise ValidationError(
            {"upn": ["Another pupil at this school already has this UPN."]}
        ) from error


def _upn_taken(upn: str, *, other_than: int | None) -> bool:
    pupils = Pupil.objects.filter(upn=upn)
    if other_than is not None:
        pupils = pupils.exclude(pk=other_than)
    return pupils.exists()


@transaction.atomic
def pupil_create(*, actor_id: int, **fields: Any) -> Pupil:
    """Enrols a pupil by hand. Raises ValidationError (by field) when anything is wrong."""
    _check_fields(fields)
    pupil = Pupil(**fields)
    pupil.upn = upn_normalise(pupil.upn or "")
    problems = pupil_problems(pupil)
    if "upn" not in problems and _upn_taken(pupil.upn, other_than=None):
        problems["upn"] = ["Another pupil at this school already has this UPN."]
    if problems:
        raise ValidationError(problems)
    _save_unique(pupil)
    logger.info("pupil %s enrolled by user %s", pupil.pk, actor_id)
    # Pupils on roll and year groups feed the trust's rates per 100 pupils.
    statistics_refresh_soon(school_connection.schema_name)
    return pupil


@transaction.atomic
def pupil_update(*, pupil: Pupil, actor_id: int, **fields: Any) -> Pupil:
    """Changes a pupil's details; saves nothing when nothing changed.

    On a ValidationError `pupil` is left as it was, so the caller can still show it.
    """
    _check_fields(fields)
    if "upn" in fields:
        fields["upn"] = upn_normalise(fields["upn"] or "")
    before = {name: getattr(pupil, name) for name in fields}
    changed = [name for name, value in fields.items() if before[name] != value]
    if not changed:
        return pupil
    for name in changed:
        setattr(pupil, name, fields[name])
    problems = pupil_problems(pupil)
    if "upn" in changed and "upn" not in problems and _upn_taken(pupil.upn, other_than=pupil.pk):
        problems["upn"] = ["Another pupil at this school already has this UPN."]
    if problems:
        for name, value in before.items():
            setattr(pupil, name, value)
        raise ValidationError(problems)
    _save_unique(pupil, update_fields=[*changed, "updated_at"])
    PupilHistory.objects.bulk_create(
        PupilHistory(
            pupil=pupil,
            field=name,
            old=history_text(before[name]),
            new=history_text(fields[name]),
            changed_by_id=actor_id,
        )
        for name in changed
        if name in HISTORY_FIELDS
    )
    logger.info("pupil %s updated by user %s: %s", pupil.pk, actor_id, ",".join(sorted(changed)))
    statistics_refresh_soon(school_connection.schema_name)
    return pupil


def _ordered(pupil: Pupil, relative: Pupil) -> tuple[Pupil, Pupil]:
    # Each pair is stored once with the lower id first (the model's family_link_ordered check).
    return (pupil, relative) if pupil.pk < relative.pk else (relative, pupil)


@transaction.atomic
def family_link_add(*, pupil: Pupil, relative: Pupil, relationship: str) -> FamilyLink:
    """Records that two pupils are family. Adding an existing pair changes its relationship."""
    if pupil.pk is None or relative.pk is None:
        raise ValidationError("Both pupils must be enrolled before they can be linked.")
    if pupil.pk == relative.pk:
        raise ValidationError("A pupil cannot be linked to themselves.")
    if relationship not in FamilyLink.Relationship.values:
        raise ValidationError("Choose a relationship from the list.")
    low, high = _ordered(pupil, relative)
    link, created = FamilyLink.objects.select_for_update().get_or_create(
        pupil=low, relative=high, defaults={"relationship": relationship}
    )
    if not created and link.relationship != relationship:
        link.relationship = relationship
        link.save(update_fields=["relationship"])
    return link


@transaction.atomic
def family_link_remove(*, pupil: Pupil, relative: Pupil) -> None:
    """Removes the link between two pupils, whichever way round it was added."""
    low, high = _ordered(pupil, relative)
    deleted, _ = FamilyLink.objects.filter(pupil=low, relative=high).delete()
    if not deleted:
        raise ValidationError("These pupils are not linked.")
