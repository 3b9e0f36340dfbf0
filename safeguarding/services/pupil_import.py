"""Importing pupils from a school MIS's CSV export (SIMS, Arbor, Bromcom and the like).

Two steps, so nothing is written before a person has seen what will happen:
`pupil_import_preview` reads and checks every row and writes nothing; `pupil_import_apply` writes
every row in one transaction, or nothing at all when any row has a problem. Rows are matched to
pupils by UPN or by the MIS's own pupil id, so importing the same file twice changes nothing the
second time. Pupils are never deleted: a Leaving Date marks a leaver, a pupil missing from the
file is left alone, and a pupil who has left keeps their record as it was, whatever a later file
says of them. Each run is recorded for the sync report (PupilSyncRun), and each change of a
field the MIS owns is kept as the pupil's history (PupilHistory), never as a chronology entry.

Runs inside a school's schema: never filters by school.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import enum
import functools
import io
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from psycopg2.extras import execute_values

from safeguarding.models import Pupil, PupilHistory, PupilSyncRun, YearGroup
from safeguarding.services.pupils import (
    EDITABLE_FIELDS,
    HISTORY_FIELDS,
    field_label,
    history_text,
    pupil_problems,
    upn_normalise,
    upn_problem,
)
from tenants.db import school_connection
from trustplatform.statistics.services import statistics_refresh_soon

# Ids and counts only in logs: never a name or UPN (docs/rules.md, "No side channels").
logger = logging.getLogger(__name__)

# A secondary school's export is a few hundred kilobytes; these limits leave room for the
# largest schools and extra columns while keeping one request's work bounded.
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000

# Headings as MIS exports spell them, compared without case, spaces or punctuation.
HEADINGS: dict[str, tuple[str, ...]] = {
    "upn": ("UPN", "Unique Pupil Number", "Pupil UPN"),
    # The MIS's own pupil id: SIMS "Person ID", Arbor "Student ID", Bromcom "Student ID".
    "mis_id": ("MIS ID", "Pupil ID", "Student ID", "Person ID"),
    "legal_first_name": ("Legal Forename", "Forename", "Legal First Name", "First Name"),
    "legal_last_name": ("Legal Surname", "Surname", "Legal Last Name", "Last Name"),
    "preferred_first_name": ("Preferred Forename", "Preferred First Name"),
    "preferred_last_name": ("Preferred Surname", "Preferred Last Name"),
    "date_of_birth": ("Date of Birth", "DOB", "Birth Date"),
    "sex": ("Sex", "Gender"),
    "year_group": ("Year Group", "Year", "NC Year", "NC Year Actual", "Curriculum Year"),
    "form": (
        "Form/Reg Group",
        "Form",
        "Reg Group",
        "Registration Group",
        "Reg Form",
        "Form Group",
        "Tutor Group",
        "Class",
    ),
    "admission_date": ("Admission Date", "Date of Admission", "Entry Date", "Start Date"),
    "leaving_date": ("Leaving Date", "Date of Leaving", "Leave Date", "End Date"),
    "sen": ("SEN", "SEN Support", "SEND"),
    "ehcp": ("EHCP", "EHC Plan"),
    "eal": ("EAL", "English as an Additional Language"),
    # An older export's combined column stays the pupil premium, as it always was here.
    "pupil_premium": ("Pupil Premium", "PP", "Pupil Premium Indicator", "FSM/Pupil Premium"),
    "free_school_meals": ("Free School Meals", "FSM", "FSM Eligible", "Eligible for FSM"),
    "young_carer": ("Young Carer",),
}
# What a new pupil cannot be enrolled without. An update may leave any of these columns out.
REQUIRED_FOR_NEW = (
    "legal_first_name",
    "legal_last_name",
    "date_of_birth",
    "sex",
    "year_group",
)
DATE_FIELDS = frozenset({"date_of_birth", "admission_date", "leaving_date"})
TEXT_FIELDS = frozenset(
    {
        "legal_first_name",
        "legal_last_name",
        "preferred_first_name",
        "preferred_last_name",
        "form",
    }
)
FLAG_FIELDS = frozenset(Pupil.FLAG_FIELDS)
MIS_ID_MAX_LENGTH = 50

_TRUE = frozenset({"y", "yes", "true", "t", "1"})
# A blank flag is a "no": MIS exports leave the cell empty rather than writing N.
_FALSE = frozenset({"n", "no", "false", "f", "0", ""})
_NURSERY = frozenset({"n", "n1", "n2", "nur", "nursery", "yearn"})
_RECEPTION = frozenset({"r", "rec", "reception", "yr", "yearr"})
_YEAR_NUMBER = re.compile(r"(?:year|yr|y)?0*(\d{1,2})")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# Excel workbooks (xlsx is a zip, xls an OLE file) uploaded instead of a CSV.
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


def _key(heading: str) -> str:
    return re.sub(r"[^a-z0-9]", "", heading.lower())


_FIELD_BY_KEY = {
    _key(heading): name for name, spellings in HEADINGS.items() for heading in spellings
}


class RowAction(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    RowAction.CREATE: "New pupil",
    RowAction.UPDATE: "Update",
    RowAction.UNCHANGED: "No change",
    RowAction.ERROR: "Problem",
}


@dataclass(frozen=True)
class ImportRow:
    """One pupil row of the file and what importing it would do."""

    # The row as a spreadsheet numbers it: the headings are row 1.
    number: int
    upn: str
    action: RowAction
    name: str = ""
    errors: tuple[str, ...] = ()
    # The headings of the columns an update changes.
    changes: tuple[str, ...] = ()
    # What the row says, parsed: only the columns the file has, and only readable cells.
    values: Mapping[str, Any] = field(default_factory=dict)
    # Whether importing the row marks the pupil as a leaver (a leaving date where none was).
    marks_leaver: bool = False
    # (field, old, new) of each change to a field of HISTORY_FIELDS, values as history text.
    history: tuple[tuple[str, str, str], ...] = ()
    # The pupil has left: their record is read-only and the row is not applied.
    has_left: bool = False


@dataclass(frozen=True)
class ImportPreview:
    """What importing a file would do, row by row. Made by `pupil_import_preview`."""

    # The model field each used column fills, with the heading the file gave it.
    headings: Mapping[str, str]
    rows: tuple[ImportRow, ...]
    ignored_columns: tuple[str, ...] = ()

    def count(self, action: RowAction) -> int:
        return sum(1 for row in self.rows if row.action is action)

    @property
    def creates(self) -> int:
        return self.count(RowAction.CREATE)

    @property
    def updates(self) -> int:
        return self.count(RowAction.UPDATE)

    @property
    def unchanged(self) -> int:
        return self.count(RowAction.UNCHANGED)

    @property
    def errors(self) -> int:
        return self.count(RowAction.ERROR)

    @property
    def leavers(self) -> int:
        return sum(1 for row in self.rows if row.marks_leaver and row.action is not RowAction.ERROR)

    @property
    def has_errors(self) -> bool:
        return self.errors > 0

    @property
    def error_rows(self) -> tuple[ImportRow, ...]:
        return tuple(row for row in self.rows if row.action is RowAction.ERROR)

    @property
    def changes_anything(self) -> bool:
        return self.creates + self.updates > 0

    def to_payload(self) -> dict[str, Any]:
        """The parsed rows as JSON-safe data, to be signed and confirmed later."""
        if self.has_errors:
            raise ValueError("A preview with errors cannot be confirmed.")
        return {
            "v": 1,
            "headings": dict(self.headings),
            "ignored": list(self.ignored_columns),
            "rows": [
                [row.number, row.upn, {name: _to_json(v) for name, v in row.values.items()}]
                for row in self.rows
            ],
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ImportPreview:
        """The preview again from `to_payload`'s data, checked against the pupils as they are."""
        try:
            if payload["v"] != 1:
                raise ValueError("unknown payload version")
            headings = {str(k): str(v) for k, v in payload["headings"].items()}
            parsed = [
                _Parsed(
                    number=int(number),
                    upn=str(upn),
                    values={str(name): _from_json(str(name), v) for name, v in values.items()},
                )
                for number, upn, values in payload["rows"]
            ]
            if any(set(p.values) - set(EDITABLE_FIELDS) for p in parsed) or not set(
                headings
            ) <= set(EDITABLE_FIELDS):
                raise ValueError("unknown field")
            ignored = tuple(str(c) for c in payload["ignored"])
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValidationError(
                "The confirmation could not be read. Upload the file again."
            ) from error
        planned = _plan(parsed, headings)
        return cls(
            headings=headings, rows=tuple(row for row, _ in planned), ignored_columns=ignored
        )


@dataclass(frozen=True)
class ImportResult:
    run_id: int
    created: int
    updated: int
    unchanged: int
    # Pupils this import marked as leavers (a leaving date where there was none).
    leavers: int


@dataclass(frozen=True)
class _Parsed:
    number: int
    upn: str
    values: dict[str, Any]
    errors: tuple[str, ...] = ()
    # Columns whose cell could not be read: left out of `values` and of the model's checks.
    unreadable: frozenset[str] = frozenset()


def _to_json(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _from_json(name: str, value: Any) -> Any:
    if name in DATE_FIELDS and value is not None:
        return dt.date.fromisoformat(value)
    return value


# --- reading the file ---------------------------------------------------------------------------


def _decode(file_bytes: bytes) -> str:
    if not file_bytes.strip():
        raise ValidationError("The file is empty.")
    if len(file_bytes) > MAX_BYTES:
        raise ValidationError(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Export only the columns "
            "listed on this page, or split the file."
        )
    if file_bytes.startswith(_WORKBOOK_MAGIC):
        raise ValidationError(
            "This is an Excel workbook, not a CSV file. In Excel choose File, Save As, "
            "“CSV UTF-8 (Comma delimited)”, and upload that."
        )
    try:
        # utf-8-sig drops the byte-order mark Excel writes at the start of a "CSV UTF-8" file.
        text = file_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            "The file is not UTF-8 text. Export it from your MIS as CSV, or in Excel save it as "
            "“CSV UTF-8 (Comma delimited)”, and upload it again."
        ) from error
    if "\x00" in text:
        raise ValidationError("This does not look like a CSV file. Upload the MIS's CSV export.")
    return text


def _read_headings(
    header: list[str],
) -> tuple[dict[int, str], dict[str, str], tuple[str, ...]]:
    """Which column fills which field: ({column index: field}, {field: heading}, ignored).

    Columns of Pupil.SAFEGUARDING_FLAGS (looked after, CP plan, ...) have no heading here, so
    they are ignored: only the DSL or a deputy sets those, one dated change at a time.
    """
    columns: dict[int, str] = {}
    headings: dict[str, str] = {}
    ignored: list[str] = []
    for index, raw in enumerate(header):
        heading = raw.strip()
        name = _FIELD_BY_KEY.get(_key(heading))
        if name is None:
            if heading:
                ignored.append(heading)
            continue
        if name in headings:
            raise ValidationError(
                f"The columns “{headings[name]}” and “{heading}” both give the "
                f"{field_label(name).lower()}: "
                "keep one of them."
            )
        columns[index] = name
        headings[name] = heading
    if "upn" not in headings:
        raise ValidationError(
            "The file has no UPN column. The first row must be the column headings, e.g. UPN, "
            "Legal Forename, Legal Surname, Date of Birth, Sex, Year Group."
        )
    return columns, headings, tuple(ignored)


def _date(text: str) -> dt.date | None:
    if match := _DMY.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _YMD.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:  # 31/02/2015 and the like
        return None


def _year_group(text: str) -> int | None:
    key = _key(text)
    if key in _NURSERY:
        return YearGroup.NURSERY.value
    if key in _RECEPTION:
        return YearGroup.RECEPTION.value
    if (match := _YEAR_NUMBER.fullmatch(key)) and 1 <= int(match.group(1)) <= 13:
        return int(match.group(1))
    return None


class _Unreadable(Exception):
    """A cell that cannot be read; the message goes after the column's heading."""


def _read_text(text: str) -> str:
    return text


def _read_mis_id(text: str) -> str | None:
    # A blank MIS id is "not given": it never clears the id a pupil already has.
    if len(text) > MIS_ID_MAX_LENGTH:
        raise _Unreadable(f"longer than {MIS_ID_MAX_LENGTH} characters.")
    return text or None


def _read_flag(text: str) -> bool:
    key = text.lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise _Unreadable(f"“{text}” is not a yes or no; use Y or N.")


def _read_date(text: str) -> dt.date | None:
    if not text:
        return None
    if (day := _date(text)) is None:
        raise _Unreadable(f"“{text}” is not a date; use dd/mm/yyyy or yyyy-mm-dd.")
    return day


def _read_sex(text: str) -> str:
    sex = {"m": "M", "male": "M", "f": "F", "female": "F"}.get(text.lower())
    if sex is None:
        raise _Unreadable(f"“{text}” is not M or F." if text else "blank; use M or F.")
    return sex


def _read_year_group(text: str) -> int:
    if (year := _year_group(text)) is None:
        raise _Unreadable(
            f"“{text}” is not a year group; use N, R or 1 to 13 (or Year 7)."
            if text
            else "blank; use N, R or 1 to 13."
        )
    return year


_READERS: dict[str, Callable[[str], Any]] = {
    **dict.fromkeys(TEXT_FIELDS, _read_text),
    **dict.fromkeys(FLAG_FIELDS, _read_flag),
    **dict.fromkeys(DATE_FIELDS, _read_date),
    "sex": _read_sex,
    "year_group": _read_year_group,
    "mis_id": _read_mis_id,
}


def _parse_row(
    number: int, cells: list[str], columns: Mapping[int, str], headings: Mapping[str, str]
) -> _Parsed:
    values: dict[str, Any] = {}
    errors: list[str] = []
    unreadable: set[str] = set()
    upn = ""
    for index, name in columns.items():
        text = cells[index].strip() if index < len(cells) else ""
        if name == "upn":
            upn = upn_normalise(text)
            if problem := upn_problem(upn):
                errors.append(problem)
            continue
        try:
            values[name] = _READERS[name](text)
        except _Unreadable as problem:
            errors.append(f"{headings[name]}: {problem}")
            unreadable.add(name)
    return _Parsed(
        number=number,
        upn=upn,
        values=values,
        errors=tuple(errors),
        unreadable=frozenset(unreadable),
    )


def _parse(
    text: str,
) -> tuple[dict[str, str], tuple[str, ...], list[_Parsed]]:
    """The file's headings and rows, each row read but not yet compared with the pupils."""
    # Strict: a stray quote would otherwise swallow the rest of the file into one cell, and
    # pupils would silently go missing from the import.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    parsed: list[_Parsed] = []
    columns: dict[int, str] | None = None
    headings: dict[str, str] = {}
    ignored: tuple[str, ...] = ()
    width = 0
    try:
        # Rows are numbered as a spreadsheet shows them, blank rows included.
        for number, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, often at the end of an Excel export
            if columns is None:
                columns, headings, ignored = _read_headings(cells)
                width = len(cells)
                continue
            if len(parsed) == MAX_ROWS:
                raise ValidationError(
                    f"The file has more than {MAX_ROWS:,} pupils. Split it into files of at most "
                    f"{MAX_ROWS:,} rows and import each."
                )
            row = _parse_row(number, cells, columns, headings)
            if any(cell.strip() for cell in cells[width:]):
                row = _Parsed(
                    number=row.number,
                    upn=row.upn,
                    values=row.values,
                    errors=(*row.errors, "The row has more cells than the file has headings."),
                    unreadable=row.unreadable,
                )
            parsed.append(row)
    except csv.Error as error:
        raise ValidationError(
            f"Row {reader.line_num} could not be read as CSV ({error}). Upload the MIS's CSV "
            "export unchanged."
        ) from error
    if columns is None:
        raise ValidationError("The file is empty.")
    if not parsed:
        raise ValidationError("The file has column headings but no pupils.")
    return headings, ignored, parsed


# --- comparing with the school's pupils ---------------------------------------------------------


def _label(name: str, headings: Mapping[str, str]) -> str:
    # The file's own heading where it has one: that is the word the person knows.
    return headings.get(name) or field_label(name)


# Django's words for an empty required field, in the words the rest of the import uses.
_BLANK = {"This field cannot be blank.": "blank.", "This field cannot be null.": "blank."}


def _duplicates(rows_of: Mapping[object, list[int]], key: object, number: int) -> str:
    return ", ".join(str(n) for n in rows_of[key] if n != number)


@dataclass
class _Matches:
    """Which pupil each row is about, and which rows share a UPN, an MIS id or a pupil."""

    pupils: list[Pupil | None] = field(default_factory=list)
    conflicts: list[str | None] = field(default_factory=list)
    rows_of: dict[object, list[int]] = field(default_factory=lambda: defaultdict(list))


def _match(parsed: list[_Parsed]) -> _Matches:
    upns = {row.upn for row in parsed if row.upn}
    mis_ids = {row.values["mis_id"] for row in parsed if "mis_id" in row.values}
    # One query for the whole file, not one per row; the keys as two array parameters, which
    # costs a fraction of Django's `__in` with thousands of values (bench/mis_sync.py).
    pupils = Pupil.objects.filter(
        RawSQL(
            "upn = ANY(%s) OR mis_id = ANY(%s)",
            (sorted(upns), sorted(mis_ids)),
            output_field=BooleanField(),
        )
    )
    by_upn: dict[str, Pupil] = {}
    by_mis_id: dict[str, Pupil] = {}
    for pupil in pupils:
        by_upn[pupil.upn] = pupil
        if pupil.mis_id is not None:
            by_mis_id[pupil.mis_id] = pupil
    matches = _Matches()
    for row in parsed:
        mis_id = row.values.get("mis_id")
        upn_pupil = by_upn.get(row.upn)
        id_pupil = by_mis_id.get(mis_id) if mis_id is not None else None
        conflict = None
        if upn_pupil and id_pupil and upn_pupil.pk != id_pupil.pk:
            conflict = (
                "The UPN belongs to one pupil and the MIS id to another: check both in the MIS."
            )
        elif upn_pupil and mis_id and upn_pupil.mis_id not in (None, mis_id):
            conflict = "The pupil with this UPN has a different MIS id here: check both in the MIS."
        current = None if conflict else (id_pupil or upn_pupil)
        matches.pupils.append(current)
        matches.conflicts.append(conflict)
        if row.upn:
            matches.rows_of[("upn", row.upn)].append(row.number)
        if mis_id is not None:
            matches.rows_of[("mis_id", mis_id)].append(row.number)
        if current is not None:
            matches.rows_of[("pupil", current.pk)].append(row.number)
    return matches


def _duplicate_problems(
    row: _Parsed, current: Pupil | None, rows_of: Mapping[object, list[int]]
) -> list[str]:
    problems = []
    if len(rows_of.get(("upn", row.upn), ())) > 1:
        problems.append(
            f"UPN {row.upn} is also on row {_duplicates(rows_of, ('upn', row.upn), row.number)}"
            ": each pupil must appear only once."
        )
    mis_id = row.values.get("mis_id")
    if mis_id is not None and len(rows_of[("mis_id", mis_id)]) > 1:
        problems.append(
            f"The MIS id is also on row {_duplicates(rows_of, ('mis_id', mis_id), row.number)}"
            ": each pupil must appear only once."
        )
    elif current is not None and len(rows_of[("pupil", current.pk)]) > 1:
        problems.append(
            f"Row {_duplicates(rows_of, ('pupil', current.pk), row.number)} is about the same "
            "pupil: each pupil must appear only once."
        )
    return problems


def _changes(row: _Parsed, current: Pupil) -> list[str]:
    changed = [name for name, value in row.values.items() if getattr(current, name) != value]
    if current.upn != row.upn:
        changed.insert(0, "upn")
    return changed


def _plan(parsed: Iterable[_Parsed], headings: Mapping[str, str]) -> list[tuple[ImportRow, Pupil]]:
    """Each row with what importing it would do, and the pupil as it would be saved.

    A row is matched to a pupil by its MIS id or by its UPN: the MIS id wins, so a pupil whose
    temporary UPN was replaced is updated, not enrolled twice. A row whose UPN and MIS id
    belong to two different pupils is rejected, as is a row that gives a pupil a different MIS
    id from the one it has.
    """
    parsed = list(parsed)
    for one in parsed:
        if "mis_id" in one.values and one.values["mis_id"] is None:
            del one.values["mis_id"]  # blank: not given (`_read_mis_id`)
    matches = _match(parsed)
    missing_for_new = [name for name in REQUIRED_FOR_NEW if name not in headings]
    today = timezone.localdate()
    planned: list[tuple[ImportRow, Pupil]] = []
    for row, current, conflict in zip(parsed, matches.pupils, matches.conflicts, strict=True):
        if current is not None and current.has_left:
            # A leaver keeps a read-only record (docs/rules.md, "Leavers"): whatever the MIS
            # now says, and whatever is wrong with the row, it is left as it was.
            planned.append(
                (
                    ImportRow(
                        row.number,
                        row.upn,
                        RowAction.UNCHANGED,
                        current.display_name,
                        has_left=True,
                    ),
                    current,
                )
            )
            continue
        errors = [*row.errors, *([conflict] if conflict else [])]
        errors += _duplicate_problems(row, current, matches.rows_of)
        changed = _changes(row, current) if current is not None else []
        if current is not None and not errors and not changed:
            # The pupil as stored, unchanged: nothing to check or save. Most rows of a nightly
            # sync are these, so they cost a dictionary look-up and no more.
            planned.append(
                (
                    ImportRow(
                        row.number,
                        row.upn,
                        RowAction.UNCHANGED,
                        current.display_name,
                        values=row.values,
                    ),
                    current,
                )
            )
            continue
        candidate = _candidate(row, current, headings, missing_for_new, errors, today=today)
        name = (
            candidate.display_name
            if (candidate.legal_first_name or candidate.preferred_first_name)
            else ""
        )
        if errors:
            planned.append(
                (ImportRow(row.number, row.upn, RowAction.ERROR, name, tuple(errors)), candidate)
            )
            continue
        history = tuple(
            (
                field_name,
                history_text(getattr(current, field_name)),
                history_text(getattr(candidate, field_name)),
            )
            for field_name in changed
            if field_name in HISTORY_FIELDS
        )
        planned.append(
            (
                ImportRow(
                    row.number,
                    row.upn,
                    RowAction.CREATE if current is None else RowAction.UPDATE,
                    name,
                    changes=tuple(_label(field_name, headings) for field_name in changed),
                    values=row.values,
                    marks_leaver=candidate.leaving_date is not None
                    and (current is None or current.leaving_date is None),
                    history=history,
                ),
                candidate,
            )
        )
    return planned


@functools.cache
def _valid_when_left_out() -> frozenset[str]:
    """The fields whose default passes every check of `pupil_problems`: a new pupil's row that
    leaves them out cannot make them wrong, so they are not checked again for each of the
    thousands of rows of a first import (bench/mis_sync.py)."""
    wrong = pupil_problems(Pupil(), exclude=frozenset({"upn"}))
    return frozenset(
        f.name for f in Pupil._meta.concrete_fields if f.name not in wrong and f.name != "upn"
    )


def _candidate(
    row: _Parsed,
    current: Pupil | None,
    headings: Mapping[str, str],
    missing_for_new: list[str],
    errors: list[str],
    *,
    today: dt.date,
) -> Pupil:
    """The pupil as the row would leave it; adds the row's problems to `errors`."""
    candidate = copy.copy(current) if current is not None else Pupil()
    for name, value in row.values.items():
        setattr(candidate, name, value)
    candidate.upn = row.upn
    # The UPN and unreadable cells are already reported; say each problem once.
    exclude = {"upn", *row.unreadable}
    if current is None:
        for name in missing_for_new:
            errors.append(
                f"A new pupil needs a {_label(name, headings).lower()}, "
                "but the file has no column for it."
            )
        exclude.update(missing_for_new)
        exclude.update(_valid_when_left_out() - row.values.keys())
    problems = pupil_problems(candidate, exclude=frozenset(exclude), today=today)
    for name, messages in problems.items():
        errors.extend(
            f"{_label(name, headings)}: {_BLANK.get(message, message)}" for message in messages
        )
    return candidate


def pupil_import_preview(file_bytes: bytes) -> ImportPreview:
    """Reads and checks every row of an MIS export, and says what importing it would do.

    Writes nothing. Raises ValidationError when the file as a whole cannot be used (empty, not
    UTF-8 text, no UPN column, too large); problems of single rows are in the preview's rows.
    """
    headings, ignored, parsed = _parse(_decode(file_bytes))
    planned = _plan(parsed, headings)
    return ImportPreview(
        headings=headings, rows=tuple(row for row, _ in planned), ignored_columns=ignored
    )


# --- writing ------------------------------------------------------------------------------------


def _refuse(preview: ImportPreview) -> None:
    rows = [row.number for row in preview.error_rows]
    shown = ", ".join(str(n) for n in rows[:10]) + (" and more" if len(rows) > 10 else "")
    raise ValidationError(
        f"Nothing was imported: {len(rows)} row{'s' if len(rows) != 1 else ''} "
        f"{'have' if len(rows) != 1 else 'has'} problems (row {shown}). Correct the file and "
        "upload it again."
    )


def _lock_imports() -> None:
    # One import at a time per school: two people importing overlapping files would otherwise
    # both decide "create" for the same new UPN. Released when the transaction ends.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            [f"pupil_import:{school_connection.schema_name}"],
        )


_QUOTED = re.compile(r"“[^”]*”")
_UPN_LIKE = re.compile(r"\b[A-Z]\d{11}[0-9A-Z]\b")


def _redacted(reason: str) -> str:
    return _UPN_LIKE.sub("(UPN)", _QUOTED.sub("“…”", reason))


def _lock_unchanged_since_read(pupils: list[Pupil]) -> None:
    """Locks the pupils about to be updated, and refuses if any changed since they were read.

    Only these are locked, not every pupil of the file: locking a row writes to it, and most
    rows of a nightly sync change nothing. Another sync cannot interleave (`_lock_imports`); a
    person saving the pupil's form between the read and here can, and then the sync stops
    rather than undo their change unseen.
    """
    if not pupils:
        return
    read = {pupil.pk: pupil.updated_at for pupil in pupils}
    now = dict(
        Pupil.objects.filter(pk__in=list(read)).select_for_update().values_list("pk", "updated_at")
    )
    if now != read:
        raise ValidationError(
            "Someone changed a pupil while the MIS's pupils were being saved; nothing was saved. "
            "Import or send them again."
        )


def _run_record(
    planned: list[tuple[ImportRow, Pupil]],
    *,
    source: PupilSyncRun.Source,
    actor_id: int,
    actor_name: str,
    api_key_id: int | None,
) -> PupilSyncRun:
    counts = {action: 0 for action in RowAction}
    for row, _ in planned:
        counts[row.action] += 1
    return PupilSyncRun.objects.create(
        source=source,
        actor_id=actor_id,
        actor_name=actor_name,
        api_key_id=api_key_id,
        rows=len(planned),
        created=counts[RowAction.CREATE],
        updated=counts[RowAction.UPDATE],
        unchanged=counts[RowAction.UNCHANGED],
        rejected=counts[RowAction.ERROR],
        leavers=sum(
            1 for row, _ in planned if row.marks_leaver and row.action is not RowAction.ERROR
        ),
        # Row numbers and reasons only, and the reasons without the cells they quote or a UPN:
        # the report outlives the rows it describes, so it keeps no child's details.
        rejections=[
            [row.number, [_redacted(reason) for reason in row.errors]]
            for row, _ in planned
            if row.action is RowAction.ERROR
        ],
    )


# Django's bulk_create and bulk_update spend most of a large sync compiling expressions (a CASE
# WHEN per field per pupil for bulk_update): these send the same rows as one INSERT and one
# UPDATE ... FROM (VALUES ...) per thousand pupils instead (bench/mis_sync.py). Every value of a
# Pupil field is a str, int, bool, date, datetime or None, which psycopg2 adapts as it is.
_BATCH = 1000


def _insert(pupils: list[Pupil], *, now: dt.datetime) -> None:
    """Inserts new pupils and sets their ids, as bulk_create would."""
    if not pupils:
        return
    fields = [f for f in Pupil._meta.concrete_fields if not f.primary_key]
    for pupil in pupils:
        pupil.created_at = pupil.updated_at = now
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(Pupil._meta.db_table)} "  # noqa: S608  (names, not input)
        f"({', '.join(quote(f.column) for f in fields)}) VALUES %s RETURNING id"
    )
    rows = [tuple(getattr(pupil, f.attname) for f in fields) for pupil in pupils]
    with connection.cursor() as cursor:
        ids = execute_values(cursor.cursor, sql, rows, page_size=_BATCH, fetch=True)
    for pupil, (pk,) in zip(pupils, ids, strict=True):
        pupil.pk = pk
        pupil._state.adding = False


def _update(pupils: list[Pupil], names: list[str]) -> None:
    """Writes `names` of each pupil, as bulk_update would."""
    if not pupils:
        return
    concrete = {f.name: f for f in Pupil._meta.concrete_fields}
    fields = [concrete[name] for name in names]
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in fields]
    # Cast each value: a VALUES column that is NULL throughout would otherwise be text.
    template = "(%s::bigint, " + ", ".join(f"%s::{f.db_type(connection)}" for f in fields) + ")"
    sql = (
        f"UPDATE {quote(Pupil._meta.db_table)} AS p SET "  # noqa: S608  (names, not input)
        + ", ".join(f"{column} = v.{column}" for column in columns)
        + f" FROM (VALUES %s) AS v (id, {', '.join(columns)}) WHERE p.id = v.id"
    )
    rows = [(pupil.pk, *(getattr(pupil, f.attname) for f in fields)) for pupil in pupils]
    with connection.cursor() as cursor:
        execute_values(cursor.cursor, sql, rows, template=template, page_size=_BATCH)


def _write(
    planned: list[tuple[ImportRow, Pupil]], headings: Mapping[str, str], *, run: PupilSyncRun
) -> tuple[list[Pupil], list[Pupil]]:
    """Saves the rows planned as new or changed, with the history of the fields the MIS owns,
    and returns (created, updated) pupils. A few statements for the whole file, whatever its
    size (bench/mis_sync.py)."""
    now = timezone.now()
    created = [pupil for row, pupil in planned if row.action is RowAction.CREATE]
    updated = [pupil for row, pupil in planned if row.action is RowAction.UPDATE]
    _lock_unchanged_since_read(updated)
    for pupil in updated:
        pupil.updated_at = now  # `_update` does not set auto_now fields itself
    # Every column of the file is written for an updated pupil: unchanged values stay the same.
    fields = sorted(set(headings) | {"updated_at"})
    history = [
        PupilHistory(
            pupil_id=pupil.pk,
            field=name,
            old=old,
            new=new,
            changed_at=now,
            sync_run=run,
            changed_by_id=run.actor_id,
        )
        for row, pupil in planned
        if row.action is RowAction.UPDATE
        for name, old, new in row.history
    ]
    try:
        with transaction.atomic():
            _insert(created, now=now)
            _update(updated, fields)
            PupilHistory.objects.bulk_create(history, batch_size=1000)
    except IntegrityError as error:
        raise ValidationError(
            "Someone changed the pupil list while this file was being imported; nothing was "
            "imported. Upload the file again."
        ) from error
    return created, updated


@transaction.atomic
def pupil_import_apply(
    source: ImportPreview | bytes, *, actor_id: int, actor_name: str = ""
) -> ImportResult:
    """Imports every row of a previewed file, or raises ValidationError and writes nothing.

    `source` is the preview (or the file itself); it is checked again here against the pupils
    as they are now, since they may have changed since the preview.
    """
    if isinstance(source, ImportPreview) and source.has_errors:
        _refuse(source)
    _lock_imports()
    if isinstance(source, ImportPreview):
        parsed = [_Parsed(r.number, r.upn, dict(r.values)) for r in source.rows]
        headings: Mapping[str, str] = source.headings
    else:
        headings, _, parsed = _parse(_decode(source))
    planned = _plan(parsed, headings)
    preview = ImportPreview(headings=headings, rows=tuple(row for row, _ in planned))
    if preview.has_errors:
        _refuse(preview)

    run = _run_record(
        planned,
        source=PupilSyncRun.Source.CSV,
        actor_id=actor_id,
        actor_name=actor_name,
        api_key_id=None,
    )
    created, updated = _write(planned, headings, run=run)
    result = ImportResult(
        run_id=run.pk,
        created=len(created),
        updated=len(updated),
        unchanged=preview.unchanged,
        leavers=preview.leavers,
    )
    logger.info(
        "pupil import %s by user %s: %s created, %s updated, %s unchanged, %s leavers",
        run.pk,
        actor_id,
        result.created,
        result.updated,
        result.unchanged,
        result.leavers,
    )
    statistics_refresh_soon(school_connection.schema_name)
    return result


# --- the same upsert, row by row, for an MIS pushing its roll through the API -------------------


class SyncOutcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


_OUTCOME = {
    RowAction.CREATE: SyncOutcome.CREATED,
    RowAction.UPDATE: SyncOutcome.UPDATED,
    RowAction.UNCHANGED: SyncOutcome.UNCHANGED,
    RowAction.ERROR: SyncOutcome.REJECTED,
}


@dataclass(frozen=True)
class SyncRow:
    # The row's place in the request, from 0.
    index: int
    upn: str
    outcome: SyncOutcome
    pupil_id: int | None
    changes: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    marks_leaver: bool = False


@dataclass(frozen=True)
class SyncResult:
    run_id: int
    rows: tuple[SyncRow, ...]

    def count(self, outcome: SyncOutcome) -> int:
        return sum(1 for row in self.rows if row.outcome is outcome)

    @property
    def leavers(self) -> int:
        return sum(1 for row in self.rows if row.marks_leaver)


def _cell(value: object) -> str:
    """A value of a JSON row as the CSV import reads cells: the same readers check both."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value)


@transaction.atomic
def pupil_sync(
    rows: Sequence[Mapping[str, object]],
    *,
    actor_id: int,
    actor_name: str = "",
    api_key_id: int | None = None,
) -> SyncResult:
    """Creates or updates each pupil row (matched by UPN or MIS id), as the CSV import does, but
    row by row: a row with problems is rejected with its reasons and the others are saved. The
    run is recorded (PupilSyncRun) for the sync report.

    Fields are the pupil import's (services/pupils.py, EDITABLE_FIELDS); a field a row leaves
    out is left as it is. Pupils are never deleted: a leaving date marks a leaver.
    """
    if len(rows) > MAX_ROWS:
        raise ValidationError(f"Send at most {MAX_ROWS:,} pupils in one request.")
    names = sorted({name for row in rows for name in row if name in EDITABLE_FIELDS})
    headings = {name: name for name in names} | {"upn": "upn"}
    parsed = []
    for index, row in enumerate(rows):
        # Each row read with its own fields, so a field it leaves out is not "blank".
        present = [name for name in EDITABLE_FIELDS if name in row]
        raw = [_cell(row[name]) for name in present]
        cells = [cell.replace("\x00", "") for cell in raw]
        one = _parse_row(index, cells, dict(enumerate(present)), headings)
        errors = list(one.errors)
        # NUL removed: the reasons are kept in the run's record, and PostgreSQL stores none.
        if unknown := sorted(
            str(name).replace("\x00", "") for name in set(row) - set(EDITABLE_FIELDS)
        ):
            errors.append(f"Unknown fields: {', '.join(unknown)}.")
        if "upn" not in row:
            errors.append("A row needs a upn.")
        if cells != raw or any(
            "\x00" in _cell(row[name]) for name in row if name not in EDITABLE_FIELDS
        ):
            # PostgreSQL stores no NUL character; the CSV import refuses such a file whole.
            errors.append("A value holds a NUL character.")
        parsed.append(
            _Parsed(
                number=index,
                upn=one.upn,
                values=one.values,
                errors=tuple(errors),
                unreadable=one.unreadable,
            )
        )
    _lock_imports()
    planned = _plan(parsed, headings)
    run = _run_record(
        planned,
        source=PupilSyncRun.Source.API,
        actor_id=actor_id,
        actor_name=actor_name,
        api_key_id=api_key_id,
    )
    created, updated = _write(planned, headings, run=run)
    result = SyncResult(
        run_id=run.pk,
        rows=tuple(
            SyncRow(
                index=row.number,
                upn=row.upn,
                outcome=_OUTCOME[row.action],
                pupil_id=pupil.pk,
                changes=row.changes,
                reasons=row.errors,
                marks_leaver=row.marks_leaver and row.action is not RowAction.ERROR,
            )
            for row, pupil in planned
        ),
    )
    logger.info(
        "pupil sync %s by user %s: %s created, %s updated, %s unchanged, %s rejected",
        run.pk,
        actor_id,
        result.count(SyncOutcome.CREATED),
        result.count(SyncOutcome.UPDATED),
        result.count(SyncOutcome.UNCHANGED),
        result.count(SyncOutcome.REJECTED),
    )
    if created or updated:
        statistics_refresh_soon(school_connection.schema_name)
    return result
