"""Recording a concern, alerting the DSL, screening, actions, case status and allegations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from safeguarding.body_map import MAX_NOTE, VIEWS, MarkRefused, mark_place
from safeguarding.models import (
    Action,
    Alert,
    Allegation,
    Category,
    ChronologyEntry,
    Concern,
    Pupil,
    Source,
    moved_with_the_file,
)
from safeguarding.models.concerns import BACKDATE_GRACE, CLOCK_SKEW
from safeguarding.models.drafts import Draft
from safeguarding.services.alerts import alert as _alert
from safeguarding.services.alerts import (
    alert_emails_after_commit as _send_alert_emails_after_commit,
)
from safeguarding.services.alerts import alert_new_concern as _alert_new_concern
from safeguarding.services.alerts import member_ids as _member_ids
from safeguarding.services.alerts import statistics_changed as _statistics_changed
from safeguarding.services.allegations import allegation_create, allegation_handler_ids
from safeguarding.services.chronology import (
    Person,
    chronology_append,
    chronology_append_many,
    chronology_entry_fields,
    occurred_at_errors,
)
from safeguarding.services.documents import (
    CheckedFile,
    attachments_checked_first,
    document_file_put,
    document_file_remove,
    document_store,
    documents_of_concern_store,
)
from safeguarding.services.drafts import draft_discard
from tenants.db import school_connection
from tenants.models import School
from trustplatform.accounts.models import Role, SchoolMembership
from trustplatform.permissions import Capability, role_allows, roles_allowed
from trustplatform.schooldays.calendar import SchoolCalendar, calendar_of

ALLEGATION_CODE = "allegation-staff"
# A police notification (docs/rules.md, "Operation Encompass"): a restricted category.
ENCOMPASS_CODE = "operation-encompass"
# Who is alerted when a concern arrives, and who when it is not screened in time.
SCREENERS = (Role.DSL, Role.DEPUTY_DSL)
ESCALATION_ROLES = (Role.DEPUTY_DSL, Role.HEADTEACHER)
TRANSCRIBERS = {Role.DSL, Role.DEPUTY_DSL}
MAX_BODY_MARKS = 50


def screening_deadline_hours() -> float:
    return float(getattr(settings, "CONCERN_SCREENING_HOURS", 24))


def screening_due_at(calendar: SchoolCalendar, recorded_at: dt.datetime) -> dt.datetime:
    """When a concern recorded at `recorded_at` must have been screened: 24 school hours on
    (docs/architecture.md, "School days and working days"); later, it is escalated."""
    return calendar.add_school_hours(recorded_at, screening_deadline_hours())


def encompass_due_at(calendar: SchoolCalendar, received_at: dt.datetime) -> dt.datetime:
    """When a notification received at `received_at` must have been acted on: the start of the
    next school day in the school's own calendar (Home Office guidance)."""
    return calendar.next_school_day_start(received_at)


def encompass_escalation_lead() -> dt.timedelta:
    # Escalated this long before its deadline if still not screened, so that someone can still act
    # before the child arrives (docs/rules.md, "Operation Encompass").
    return dt.timedelta(minutes=float(getattr(settings, "ENCOMPASS_ESCALATION_MINUTES", 60)))


def encompass_escalate_at(calendar: SchoolCalendar, received_at: dt.datetime) -> dt.datetime:
    return encompass_due_at(calendar, received_at) - encompass_escalation_lead()


def _clean_body_map(marks: Any) -> list[dict[str, Any]]:
    """The marks as stored: view, point, the region found here from the outline's shapes, and the
    note. Every mark not on the body is refused by its number (docs/rules.md, "The body map")."""
    if not marks:
        return []
    if not isinstance(marks, list) or len(marks) > MAX_BODY_MARKS:
        raise ValidationError({"body_map": "The body map could not be read; mark it again."})
    cleaned: list[dict[str, Any]] = []
    errors: list[str] = []
    for number, mark in enumerate(marks, start=1):
        if not isinstance(mark, dict):
            raise ValidationError({"body_map": "The body map could not be read; mark it again."})
        try:
            view, x, y, region = mark_place(mark)
        except MarkRefused as refused:
            view = VIEWS.get(str(mark.get("view")), "")
            errors.append(f"Mark {number}{f' ({view})' if view else ''} {refused}.")
            continue
        note = " ".join(str(mark.get("note") or "").split())
        if len(note) > MAX_NOTE:
            errors.append(f"Mark {number}: keep the note to {MAX_NOTE} characters.")
        cleaned.append({"view": view, "x": x, "y": y, "region": region.code, "note": note})
    if errors:
        raise ValidationError({"body_map": errors})
    return cleaned


@dataclass(frozen=True)
class _Checked:
    """What validation found: the rows a new concern links to and the cleaned inputs."""

    pupils: list[Pupil]
    categories: list[Category]
    notified: list[int]
    marks: list[dict[str, Any]]

    @property
    def is_allegation(self) -> bool:
        return any(c.code == ALLEGATION_CODE for c in self.categories)


def _errors_of_pupils_and_categories(
    errors: dict[str, list[str]], pupil_ids: Sequence[int], category_ids: Sequence[int]
) -> tuple[list[Pupil], list[Category]]:
    pupils = list(Pupil.objects.filter(pk__in=set(pupil_ids), leaving_date__isnull=True))
    if not pupil_ids:
        errors.setdefault("pupils", []).append("Choose at least one pupil.")
    elif len(pupils) != len(set(pupil_ids)):
        errors.setdefault("pupils", []).append("One of the pupils chosen is not on roll here.")
    categories = list(Category.objects.filter(pk__in=set(category_ids), retired_at__isnull=True))
    if not category_ids:
        errors.setdefault("categories", []).append("Choose at least one category.")
    elif len(categories) != len(set(category_ids)):
        errors.setdefault("categories", []).append("Choose categories from the current list.")
    return pupils, categories


def _errors_of_account_and_times(
    errors: dict[str, list[str]],
    *,
    account: str,
    now: dt.datetime,
    occurred_at: dt.datetime,
    backdate_reason: str,
) -> None:
    if not account.strip():
        errors.setdefault("account", []).append("Write what you saw or heard, in the words used.")
    if occurred_at > now + CLOCK_SKEW:
        errors.setdefault("occurred_at", []).append("The time it happened cannot be in the future.")
    if occurred_at < now - BACKDATE_GRACE and not backdate_reason.strip():
        errors.setdefault("backdate_reason", []).append(
            "This happened earlier than now: say why it is recorded later."
        )


def _errors_of_source(
    errors: dict[str, list[str]],
    *,
    author: Person,
    source: Source,
    original_author_name: str,
    original_written_at: dt.datetime | None,
) -> None:
    if source != Source.PAPER_FORM:
        return
    if author.role not in TRANSCRIBERS:
        errors.setdefault("source", []).append(
            "Paper significant-note forms are entered by the DSL or a deputy."
        )
    if not original_author_name.strip() or original_written_at is None:
        errors.setdefault("original_author_name", []).append(
            "Give the name of the person who wrote the form and when they wrote it."
        )


def _errors_of_allegation(
    errors: dict[str, list[str]],
    *,
    has_attachments: bool,
    adult_name: str,
    adult_user_id: int | None,
) -> None:
    if has_attachments:
        errors.setdefault("attachments", []).append(
            "Give documents about an allegation to the DSL or headteacher directly."
        )
    if adult_user_id is None and not adult_name.strip():
        errors.setdefault("adult_name", []).append(
            "Choose the member of staff the allegation is about, or name the adult: it never "
            "reaches them."
        )


def _notified_members(
    errors: dict[str, list[str]], school: School, notify_user_ids: Sequence[int]
) -> list[int]:
    members = (
        set(
            SchoolMembership.objects.filter(school=school, user_id__in=notify_user_ids).values_list(
                "user_id", flat=True
            )
        )
        if notify_user_ids
        else set()
    )
    if set(notify_user_ids) - members:
        errors.setdefault("notify", []).append("Alerts go to members of this school only.")
    return sorted(members)


def _concern_validate(  # every broken rule is reported at once, so each step adds to `errors`
    *,
    school: School,
    author: Person,
    now: dt.datetime,
    pupil_ids: Sequence[int],
    category_ids: Sequence[int],
    account: str,
    occurred_at: dt.datetime,
    backdate_reason: str,
    body_map: Any,
    source: Source,
    original_author_name: str,
    original_written_at: dt.datetime | None,
    notify_user_ids: Sequence[int],
    adult_name: str,
    adult_user_id: int | None,
    has_attachments: bool,
    police_notification: bool = False,
) -> _Checked:
    errors: dict[str, list[str]] = {}
    pupils, categories = _errors_of_pupils_and_categories(errors, pupil_ids, category_ids)
    if not police_notification and any(c.code == ENCOMPASS_CODE for c in categories):
        # Its deadline, restriction and wording come with the notification's own page.
        errors.setdefault("categories", []).append(
            "An Operation Encompass notification is recorded by the DSL on its own page, "
            "not as a concern."
        )
    _errors_of_account_and_times(
        errors,
        account=account,
        now=now,
        occurred_at=occurred_at,
        backdate_reason=backdate_reason,
    )
    _errors_of_source(
        errors,
        author=author,
        source=source,
        original_author_name=original_author_name,
        original_written_at=original_written_at,
    )
    if any(c.code == ALLEGATION_CODE for c in categories):
        _errors_of_allegation(
            errors,
            has_attachments=has_attachments,
            adult_name=adult_name,
            adult_user_id=adult_user_id,
        )
    notified = _notified_members(errors, school, notify_user_ids)
    marks: list[dict[str, Any]] = []
    try:
        marks = _clean_body_map(body_map)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return _Checked(pupils=pupils, categories=categories, notified=notified, marks=marks)


def _concern_link(
    concern: Concern, pupils: Sequence[Pupil], categories: Sequence[Category]
) -> None:
    # Straight inserts: a new concern has no links for add() or set() to compare against.
    Concern.pupils.through.objects.bulk_create(
        [Concern.pupils.through(concern=concern, pupil=pupil) for pupil in pupils]
    )
    Concern.categories.through.objects.bulk_create(
        [Concern.categories.through(concern=concern, category=c) for c in categories]
    )


def _concern_alert(
    *,
    school: School,
    concern: Concern,
    author: Person,
    checked: _Checked,
    now: dt.datetime,
    adult_user_id: int | None,
    adult_name: str,
    adult_role: str,
) -> None:
    if checked.is_allegation:
        # A restricted record of its own, never in the children's chronologies (KCSIE Part 4).
        allegation = allegation_create(
            school=school,
            concern=concern,
            adult_user_id=adult_user_id,
            adult_name=adult_name,
            adult_role=adult_role,
            now=now,
        )
        # Never the adult it is about (KCSIE Part 4): who handles it depends on who that is.
        recipients = sorted(allegation_handler_ids(school, allegation))
    else:
        recipients = _member_ids(school, SCREENERS) + checked.notified
    # The concern is new: its alerts and their emails are new rows (one INSERT each).
    _alert_new_concern((r for r in recipients if r != author.user_id), concern)


def _concern_chronology(
    concern: Concern, *, author: Person, checked: _Checked
) -> list[dict[str, Any]]:
    """The fields of the concern's entry on each child's chronology (none for an allegation)."""
    if checked.is_allegation:
        return []  # allegations stay out of the children's chronologies
    original_written_at = concern.original_written_at
    shown_author = (
        f"{concern.original_author_name} (paper form, entered by {author.name})"
        if concern.source == Source.PAPER_FORM
        else author.name
    )
    return [
        chronology_entry_fields(
            pupil=pupil,
            kind=ChronologyEntry.Kind.CONCERN,
            author=author,
            title="Concern recorded: " + ", ".join(c.name for c in checked.categories),
            body=concern.account,
            occurred_at=concern.occurred_at,
            backdate_reason=concern.backdate_reason,
            source=Source(concern.source),
            details={
                "location": concern.location,
                "action_taken": concern.action_taken,
                "told_dsl_in_person": concern.told_dsl_in_person,
                "body_map_marks": len(checked.marks),
                "written_by": shown_author,
                "original_written_at": original_written_at.isoformat()
                if original_written_at
                else None,
            },
            category_ids=[c.pk for c in checked.categories],
            concern=concern,
        )
        for pupil in checked.pupils
    ]


def _concern_files_put(
    attachments: Sequence[UploadedFile | CheckedFile], pupils: Sequence[Pupil]
) -> list[list[str]]:
    """Each attachment written to the storage once for each pupil (each child's file stands on
    its own), before the chronology lock is taken: the storage's round trips hold no lock."""
    stored: list[list[str]] = []
    try:
        for checked in attachments:
            stored.append([])
            for _ in pupils:
                stored[-1].append(document_file_put(cast(CheckedFile, checked)))
    except BaseException:
        _concern_files_remove(stored)
        raise
    return stored


def _concern_files_remove(stored: list[list[str]]) -> None:
    for names in stored:
        for name in names:
            document_file_remove(name)


def _concern_attach(
    concern: Concern,
    *,
    author: Person,
    checked: _Checked,
    attachments: Sequence[UploadedFile | CheckedFile],
    stored: list[list[str]],
) -> list[dict[str, Any]]:
    """The attachments' documents on each child's record; the fields of their entries."""
    if not attachments:
        return []
    return documents_of_concern_store(
        concern=concern,
        author=author,
        stored=[
            # Checked by the decorator, before the transaction.
            (pupil, cast(CheckedFile, attachment), name)
            for attachment, names in zip(attachments, stored, strict=True)
            for pupil, name in zip(checked.pupils, names, strict=True)
        ],
        overview=f"Attached to concern C{concern.pk} by the member of staff",
        category_ids=[c.pk for c in checked.categories],
    )


@attachments_checked_first  # each file scanned once, before the transaction opens
@transaction.atomic
def concern_record(
    *,
    school: School,
    author: Person,
    pupil_ids: Sequence[int],
    category_ids: Sequence[int],
    account: str,
    occurred_at: dt.datetime | None = None,
    backdate_reason: str = "",
    location: str = "",
    action_taken: str = "",
    told_dsl_in_person: bool = False,
    body_map: Any = None,
    source: Source = Source.DIRECT,
    original_author_name: str = "",
    original_written_at: dt.datetime | None = None,
    notify_user_ids: Sequence[int] = (),
    adult_name: str = "",
    adult_role: str = "",
    adult_user_id: int | None = None,
    attachments: Sequence[UploadedFile | CheckedFile] = (),
    discard_draft: bool = True,
    police_notification: bool = False,
) -> Concern:
    """Any member of staff records a concern. The DSL and deputies are alerted at once.

    Attachments are stored on each pupil's record (each child's file stands on its own); a
    refused attachment refuses the whole concern, so nothing is half-written.
    """
    now = timezone.now()
    occurred_at = occurred_at or now
    checked = _concern_validate(
        school=school,
        author=author,
        now=now,
        pupil_ids=pupil_ids,
        category_ids=category_ids,
        account=account,
        occurred_at=occurred_at,
        backdate_reason=backdate_reason,
        body_map=body_map,
        source=source,
        original_author_name=original_author_name,
        original_written_at=original_written_at,
        notify_user_ids=notify_user_ids,
        adult_name=adult_name,
        adult_user_id=adult_user_id,
        has_attachments=bool(attachments),
        police_notification=police_notification,
    )
    # Written before any lock is taken; removed again if the concern is not recorded. (A failed
    # COMMIT would leave them unreferenced, never a row without its file.)
    stored = _concern_files_put(attachments, checked.pupils)
    try:
        concern = Concern.objects.create(
            source=source,
            occurred_at=occurred_at,
            recorded_at=now,
            backdate_reason=backdate_reason.strip(),
            location=location.strip(),
            account=account.strip(),
            action_taken=action_taken.strip(),
            told_dsl_in_person=told_dsl_in_person,
            body_map=checked.marks,
            author_id=author.user_id,
            author_name=author.name,
            author_role=author.role,
            original_author_name=original_author_name.strip(),
            original_written_at=original_written_at,
            notify_user_ids=checked.notified,
        )
        _concern_link(concern, checked.pupils, checked.categories)
        _concern_alert(
            school=school,
            concern=concern,
            author=author,
            checked=checked,
            now=now,
            adult_user_id=adult_user_id,
            adult_name=adult_name,
            adult_role=adult_role,
        )
        documents = _concern_attach(
            concern, author=author, checked=checked, attachments=attachments, stored=stored
        )
        # Sent: the author's draft of the form has done its job (docs/security.md, "Drafts").
        # A concern recorded another way (a police notification) leaves that draft alone.
        if discard_draft:
            draft_discard(author_id=author.user_id, form=Draft.Form.CONCERN, record_id=0)
        # Last, as the school's chronology lock is held from here to the commit: the concern's
        # entry on each child's chronology, then its attachments', with one lock and one INSERT.
        chronology_append_many(
            _concern_chronology(concern, author=author, checked=checked) + documents
        )
    except BaseException:
        _concern_files_remove(stored)
        raise
    _statistics_changed()
    return concern


# The recorded content a correction carries over unchanged from the version it replaces.
_CARRIED_OVER = (
    "source",
    "occurred_at",
    "recorded_at",
    "backdate_reason",
    "told_dsl_in_person",
    "body_map",
    "author_id",
    "author_name",
    "author_role",
    "original_author_name",
    "original_written_at",
    "notify_user_ids",
)
# The case goes on from the current version: where it stands is carried over too.
_CASE = (
    "status",
    "level",
    "level_rationale",
    "next_steps",
    "screened_at",
    "screened_by_id",
    "screened_by_name",
    "closed_at",
    "closure_summary",
    "escalated_at",
)


def _may_correct(role: str) -> bool:
    try:
        return role_allows(frozenset({Role(role)}), Capability.CORRECT_ENTRIES)
    except ValueError:
        return False


@transaction.atomic
def concern_correct(
    *,
    concern: Concern,
    actor: Person,
    account: str,
    reason: str,
    location: str | None = None,
    action_taken: str | None = None,
) -> Concern:
    """The DSL or a deputy corrects a concern: a new version that supersedes it, with the reason.

    The earlier version is never changed and stays readable by those who read every record
    (docs/rules.md, "Corrections"). The case (its actions and where it stands) goes on from the
    new version; each child's chronology gets the corrected entry, superseding the earlier one.
    """
    if not _may_correct(actor.role):
        raise PermissionDenied("Entries are corrected by the DSL or a deputy.")
    # Locked: two corrections of the same version at once would both pass the check below.
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    errors: dict[str, str] = {}
    if not account.strip():
        errors["account"] = "Write the corrected account."
    if not reason.strip():
        errors["reason"] = "Say why the concern is being corrected."
    if errors:
        raise ValidationError(errors)
    if Concern.objects.filter(supersedes=concern).exists():
        raise ValidationError("This concern has already been corrected; correct the newer version.")
    if Allegation.objects.filter(concern=concern).exists():
        # What is learnt of an allegation is an AllegationVersion (docs/rules.md, "Allegations
        # against staff"); a second concern row would be an allegation without its record.
        raise ValidationError("An allegation is corrected on the allegation's own record.")
    corrected = Concern.objects.create(
        **{name: getattr(concern, name) for name in _CARRIED_OVER + _CASE},
        account=account.strip(),
        location=(concern.location if location is None else location).strip(),
        action_taken=(concern.action_taken if action_taken is None else action_taken).strip(),
        supersedes=concern,
        correction_reason=reason.strip(),
        corrected_at=timezone.now(),
        corrected_by_id=actor.user_id,
        corrected_by_name=actor.name,
        corrected_by_role=actor.role,
    )
    pupils = list(concern.pupils.all())
    categories = list(concern.categories.all())
    _concern_link(corrected, pupils, categories)
    # The case's follow-up and its alerts move with it (screening the new version marks them
    # read); the chronology entries that recorded each action stay as written.
    Action.objects.filter(concern=concern).update(concern=corrected)
    Alert.objects.filter(concern=concern).update(concern=corrected)
    _concern_chronology_correct(concern, corrected, actor=actor, categories=categories)
    _statistics_changed()
    return corrected


def _refuse_superseded(concern: Concern) -> None:
    if Concern.objects.filter(supersedes=concern).exists():
        raise ValidationError(
            "This concern has been corrected; the case goes on from its newer version."
        )


def _concern_chronology_correct(
    earlier: Concern, corrected: Concern, *, actor: Person, categories: Sequence[Category]
) -> None:
    """Each child's current entry of the concern's account is superseded by the corrected one."""
    current = ChronologyEntry.objects.filter(
        concern=earlier, kind=ChronologyEntry.Kind.CONCERN, superseded_by__isnull=True
    ).select_related("pupil")
    for entry in current:
        chronology_append(
            pupil=entry.pupil,
            kind=ChronologyEntry.Kind.CONCERN,
            author=actor,
            title="Concern corrected: " + ", ".join(c.name for c in categories),
            body=corrected.account,
            occurred_at=entry.occurred_at,
            backdate_reason=entry.backdate_reason,
            source=Source(entry.source),
            details={
                **(entry.details if isinstance(entry.details, dict) else {}),
                "location": corrected.location,
                "action_taken": corrected.action_taken,
            },
            category_ids=entry.category_ids,
            concern=corrected,
            supersedes=entry,
            correction_reason=corrected.correction_reason,
        )


def _entries_for_each_pupil(
    concern: Concern,
    *,
    author: Person,
    kind: ChronologyEntry.Kind,
    title: str,
    body: str,
    action: Action | None = None,
    details: dict[str, Any] | None = None,
    occurred_at: dt.datetime | None = None,
    source: Source = Source.DIRECT,
) -> None:
    if hasattr(concern, "allegation"):
        return  # allegations stay out of the children's chronologies
    category_ids = list(concern.categories.values_list("pk", flat=True))
    for pupil in concern.pupils.all():
        chronology_append(
            pupil=pupil,
            kind=kind,
            author=author,
            title=title,
            body=body,
            action=action,
            details=details,
            category_ids=category_ids,
            concern=concern,
            occurred_at=occurred_at,
            source=source,
        )


@transaction.atomic
def concern_screen(
    *,
    concern: Concern,
    screener: Person,
    level: Concern.Level,
    rationale: str,
    next_steps: str = "",
) -> Concern:
    """The DSL or a deputy screens a concern: reads it, sets a level with a rationale."""
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    _refuse_superseded(concern)
    errors: dict[str, str] = {}
    if level not in Concern.Level.values:
        errors["level"] = "Choose low, medium or high."
    if not rationale.strip():
        errors["rationale"] = "Give the reason for this level."
    if concern.status == Concern.Status.CLOSED:
        errors["level"] = "This concern is closed."
    if errors:
        raise ValidationError(errors)
    first = concern.screened_at is None
    concern.level = level
    concern.level_rationale = rationale.strip()
    concern.next_steps = next_steps.strip()
    concern.screened_at = timezone.now()
    concern.screened_by_id, concern.screened_by_name = screener.user_id, screener.name
    if concern.status == Concern.Status.NEW:
        concern.status = Concern.Status.SCREENED
    # The case's columns only: the application's database role may update no others
    # (docs/security.md, "Database roles").
    concern.save(
        update_fields=[
            "level",
            "level_rationale",
            "next_steps",
            "screened_at",
            "screened_by_id",
            "screened_by_name",
            "status",
        ]
    )
    Alert.objects.filter(concern=concern, read_at__isnull=True).update(read_at=timezone.now())
    _entries_for_each_pupil(
        concern,
        author=screener,
        kind=ChronologyEntry.Kind.SCREENING,
        title=("Screened" if first else "Screening revised")
        + f": {Concern.Level(level).label} level",
        body=f"Rationale: {concern.level_rationale}"
        + (f"\nNext steps: {concern.next_steps}" if concern.next_steps else ""),
        details={"level": str(level)},
    )
    draft_discard(author_id=screener.user_id, form=Draft.Form.SCREENING, record_id=concern.pk)
    _statistics_changed()
    return concern


@transaction.atomic
def concern_status_set(
    *, concern: Concern, actor: Person, status: Concern.Status, summary: str = ""
) -> Concern:
    """Moves the case on: open it, or close it with a summary (new → screened → open → closed)."""
    concern = Concern.objects.select_for_update().get(pk=concern.pk)
    _refuse_superseded(concern)
    allowed = {
        Concern.Status.OPEN: {Concern.Status.SCREENED, Concern.Status.CLOSED},
        Concern.Status.CLOSED: {Concern.Status.SCREENED, Concern.Status.OPEN},
    }
    if status not in allowed or concern.status not in allowed[status]:
        raise ValidationError(
            f"A {concern.get_status_display().lower()} concern cannot be made "
            f"{Concern.Status(status).label.lower()}; screen it first."
        )
    if status == Concern.Status.CLOSED and not summary.strip():
        raise ValidationError({"summary": "Closing a case needs a summary."})
    old = concern.status
    concern.status = status
    if status == Concern.Status.CLOSED:
        concern.closed_at, concern.closure_summary = timezone.now(), summary.strip()
    else:
        concern.closed_at, concern.closure_summary = None, ""
    concern.save(update_fields=["status", "closed_at", "closure_summary"])
    _entries_for_each_pupil(
        concern,
        author=actor,
        kind=ChronologyEntry.Kind.STATUS_CHANGE,
        title={
            Concern.Status.OPEN: "Case reopened" if old == Concern.Status.CLOSED else "Case opened",
            Concern.Status.CLOSED: "Case closed",
        }[status],
        body=summary.strip(),
        details={"from": old, "to": str(status)},
    )
    _statistics_changed()
    return concern


def _may_hold_tasks(user_id: int) -> bool:
    return SchoolMembership.objects.filter(
        school__schema_name=school_connection.schema_name,
        user_id=user_id,
        role__in=sorted(roles_allowed(Capability.VIEW_OWN_TASKS)),
    ).exists()


@transaction.atomic
def action_add(
    *,
    concern: Concern,
    actor: Person,
    kind: Action.Kind,
    description: str = "",
    decision_rationale: str = "",
    assignee: Person | None = None,
    due_on: dt.date | None = None,
) -> Action:
    _refuse_superseded(concern)
    errors: dict[str, str] = {}
    if kind not in Action.Kind.values:
        errors["kind"] = "Choose what is to be done."
    if kind == Action.Kind.NO_FURTHER_ACTION and not decision_rationale.strip():
        errors["decision_rationale"] = "Record why the decision is not to refer."
    if due_on is not None and due_on < timezone.localdate():
        errors["due_on"] = "The due date is in the past."
    if assignee is not None and not _may_hold_tasks(assignee.user_id):
        # A task names the pupil: never given to a governor, who sees no child data (docs/rules.md,
        # "Tasks"), nor to someone who is not of this school.
        errors["assignee"] = "Choose a member of staff: a governor is given no tasks."
    elif (
        assignee is not None
        and Allegation.objects.filter(concern=concern, adult_user_id=assignee.user_id).exists()
    ):
        # Not even an alert: the adult concerned never learns of the allegation (KCSIE Part 4).
        errors["assignee"] = "An allegation's work is never given to the adult it is about."
    if errors:
        raise ValidationError(errors)
    action = Action.objects.create(
        concern=concern,
        kind=kind,
        description=description.strip(),
        decision_rationale=decision_rationale.strip(),
        assignee_id=assignee.user_id if assignee else None,
        assignee_name=assignee.name if assignee else "",
        due_on=due_on,
        created_by_id=actor.user_id,
        created_by_name=actor.name,
    )
    if assignee and assignee.user_id != actor.user_id:
        _alert([assignee.user_id], concern, Alert.Reason.ACTION_ASSIGNED)
        _send_alert_emails_after_commit(concern)
    body = "\n".join(
        line
        for line in (
            action.description,
            f"Why not refer: {action.decision_rationale}" if action.decision_rationale else "",
            f"Assigned to {action.assignee_name}" if action.assignee_name else "",
            f"Due {due_on:%d %b %Y}" if due_on else "",
        )
        if line
    )
    _entries_for_each_pupil(
        concern,
        author=actor,
        kind=ChronologyEntry.Kind.ACTION,
        title=Action.Kind(kind).label,
        body=body,
        action=action,
        details={"kind": str(kind)},
    )
    draft_discard(author_id=actor.user_id, form=Draft.Form.ACTION, record_id=concern.pk)
    _statistics_changed()
    return action


@transaction.atomic
def action_complete(*, action: Action, actor: Person, outcome: str) -> Action:
    action = Action.objects.select_for_update().get(pk=action.pk)
    if action.completed_at is not None:
        raise ValidationError("This action is already completed.")
    if not outcome.strip():
        raise ValidationError({"outcome": "Record the outcome."})
    action.outcome, action.completed_at = outcome.strip(), timezone.now()
    action.save(update_fields=["outcome", "completed_at"])
    _entries_for_each_pupil(
        action.concern,
        author=actor,
        kind=ChronologyEntry.Kind.ACTION_COMPLETED,
        title=f"Completed: {action.get_kind_display()}",
        body=action.outcome,
        action=action,
    )
    _statistics_changed()
    return action


@attachments_checked_first  # the meeting's notes scanned once, before the transaction opens
@transaction.atomic
def contact_record(
    *,
    pupil: Pupil,
    author: Person,
    kind: ChronologyEntry.Kind,
    occurred_at: dt.datetime,
    summary: str,
    agency: str = "",
    person: str = "",
    participants: str = "",
    concern: Concern | None = None,
    backdate_reason: str = "",
    attachments: Sequence[UploadedFile | CheckedFile] = (),
    notes_overview: str = "",
) -> ChronologyEntry:
    """A telephone call (agency, person, summary) or a meeting (date and time, participants, and
    its notes as a document placed at the meeting's time)."""
    errors: dict[str, str] = {}
    if kind not in {ChronologyEntry.Kind.PHONE_CALL, ChronologyEntry.Kind.MEETING}:
        errors["kind"] = "Choose a telephone call or a meeting."
    if not summary.strip():
        errors["summary"] = "Summarise what was said."
    if kind == ChronologyEntry.Kind.PHONE_CALL and not person.strip():
        errors["person"] = "Say who the call was with."
    if kind == ChronologyEntry.Kind.MEETING and not participants.strip():
        errors["participants"] = "List who took part."
    if attachments and kind != ChronologyEntry.Kind.MEETING:
        errors["attachments"] = "Notes can be uploaded with a meeting."
    # A call or a meeting is refused only in the future (docs/rules.md): a reason given for
    # recording it later is kept.
    errors |= occurred_at_errors(
        occurred_at=occurred_at,
        backdate_reason=backdate_reason,
        now=timezone.now(),
        reason_needed=False,
    )
    if errors:
        raise ValidationError(errors)
    draft_discard(author_id=author.user_id, form=Draft.Form.CONTACT, record_id=pupil.pk)
    is_call = kind == ChronologyEntry.Kind.PHONE_CALL
    details = (
        {"agency": agency.strip(), "person": person.strip()}
        if is_call
        else {"participants": participants.strip()}
    )
    title = (
        f"Telephone call with {person.strip()}" + (f" ({agency.strip()})" if agency.strip() else "")
        if is_call
        else "Meeting"
    )
    category_ids = list(concern.categories.values_list("pk", flat=True)) if concern else []
    entry = chronology_append(
        pupil=pupil,
        kind=kind,
        author=author,
        title=title,
        body=summary.strip(),
        occurred_at=occurred_at,
        backdate_reason=backdate_reason.strip(),
        details=details,
        source=Source.PHONE_CALL if is_call else Source.MEETING,
        concern=concern,
        category_ids=category_ids,
    )
    for checked in attachments:
        document_store(
            pupil=pupil,
            checked=cast(CheckedFile, checked),  # checked by the decorator, before the txn
            overview=notes_overview.strip() or "Notes of the meeting",
            author=author,
            concern=concern,
            occurred_at=occurred_at,
            backdate_reason=backdate_reason.strip(),
        )
    return entry


@transaction.atomic
def concerns_escalate_overdue(*, school: School, now: dt.datetime | None = None) -> list[int]:
    """Alerts the deputies and headteacher, once, about concerns not screened in time.

    Safe to run twice at once: each concern is claimed by a conditional UPDATE before anyone is
    alerted, so only one run escalates it.
    """
    now = now or timezone.now()
    escalated = []
    candidates = (
        Concern.objects.filter(
            status=Concern.Status.NEW,
            escalated_at__isnull=True,
            allegation__isnull=True,
            superseded_by__isnull=True,  # a corrected concern's case goes on from its new version
        )
        .exclude(moved_with_the_file())  # the receiving school's to screen now
        .annotate(
            encompass=Exists(
                Concern.categories.through.objects.filter(
                    concern_id=OuterRef("pk"), category__code=ENCOMPASS_CODE
                )
            )
        )
        .values_list("pk", "recorded_at", "encompass")
    )
    recipients = _member_ids(school, ESCALATION_ROLES)
    # Read from the calendar at every run: changed term dates move open deadlines at once.
    calendar = calendar_of(school)
    for concern_id, recorded_at, encompass in candidates:
        # A police notification is due before the next school day starts, so it is escalated
        # ahead of that (docs/rules.md, "Operation Encompass").
        due = (
            encompass_escalate_at(calendar, recorded_at)
            if encompass
            else screening_due_at(calendar, recorded_at)
        )
        if due > now:
            continue
        claimed = Concern.objects.filter(pk=concern_id, escalated_at__isnull=True).update(
            escalated_at=now
        )
        if not claimed:
            continue
        concern = Concern.objects.get(pk=concern_id)
        _alert(recipients, concern, Alert.Reason.ESCALATED)
        _send_alert_emails_after_commit(concern)
        escalated.append(concern_id)
    return escalated


@transaction.atomic
def alert_mark_read(*, user_id: int, alert_id: int) -> None:
    Alert.objects.filter(pk=alert_id, user_id=user_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
