"""Rendering a pupil's chronology as a PDF (WeasyPrint), and removing staff names from it.

No database access here: the service (safeguarding/services/exports.py) chooses the entries and
the names, this module turns them into pages. Every page carries the stamp in its header and
footer (docs/rules.md, "Exports": an export carries the hash it was made from), so a single page
printed or handed on still says who made it, when, which version, for which school, and from
which chain head.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from django.template.loader import render_to_string

from safeguarding.body_map import Mark, marks_read
from safeguarding.models import ChronologyEntry, Concern, Pupil
from trustplatform.schooldays.calendar import LONDON

# What a staff name becomes in the external version: the role, as people outside the school
# know it ("the DSL"), never the person.
ROLE_LABELS: dict[str, str] = {
    "dsl": "DSL",
    "deputy_dsl": "Deputy DSL",
    "headteacher": "Headteacher",
    "key_holder": "Member of staff (pastoral)",
    "staff": "Member of staff",
    "governor": "Governor",
    "school_admin": "School administrator",
}
MEMBER_OF_STAFF = "Member of staff"
# Titles before a surname, as colleagues are usually named in what staff write ("Mrs Okafor").
_TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr")

# WeasyPrint reports each page it lays out on this logger (documented in its API docs): the one
# sign of progress inside its layout. Heard by the handler below only, not by the site's logs.
_WEASYPRINT_PROGRESS = logging.getLogger("weasyprint.progress")
_WEASYPRINT_PROGRESS.setLevel(logging.INFO)
_WEASYPRINT_PROGRESS.propagate = False
# Roughly how much text fills an A4 page here, to turn "page 12" into a share of the layout.
_CHARACTERS_PER_PAGE = 2500


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, MEMBER_OF_STAFF)


# A name is matched word by word: words are runs of letters and digits, and between two words
# of one name only spaces, dots, hyphens and apostrophes ("Mrs. Okafor", "Okonkwo-Reyes").
_WORD = re.compile(r"\w+")
_WITHIN_A_NAME = re.compile(r"[\s.'\u2019\u2010-]+")


def _words(text: str) -> tuple[str, ...]:
    """One spelling per name for lookups: case, dots, hyphens and spacing do not matter."""
    return tuple(word.casefold() for word in _WORD.findall(text))


def _surname(name: str) -> tuple[str, ...]:
    """The last word of a name as written ("Okonkwo-Reyes"), as `_words` spells it."""
    return _words(name.rsplit(maxsplit=1)[-1]) if name.split() else ()


def child_letter(number: int) -> str:
    """B, C, ... Z, then AA, AB, ...: the pupil the chronology is about is the unnamed "A"."""
    number += 1  # the first other child is "B"
    letters = ""
    while True:
        letters = chr(ord("A") + number % 26) + letters
        number = number // 26 - 1
        if number < 0:
            return letters


class StaffNames:
    """Finds staff names and other children's names in text, for the external version: each
    member of staff becomes their role, each other child "Child B", "Child C", ...

    Matches whole names (any case, any spacing) and, for staff names of two words or more, a
    title with the surname ("Mrs Okafor"). Where names overlap, the longest wins ("Ada
    Lovelace-Byron" over "Ada Lovelace"); a staff name and a child's spelled the same are the
    member of staff's. The pupil's own names are never replaced: the pupil's name stays in the
    external version, and "Mrs <pupil's surname>" is usually the child's parent, not a colleague.
    A staff member's first name on its own is not recognised: it is too often someone else's too,
    so free text still needs a read before the external version leaves the school.

    `children` maps each other child (by pupil id) to the spellings of their name to replace.
    One instance serves one export: a child keeps the letter first given to them throughout it.
    """

    def __init__(
        self,
        roles_by_name: Mapping[str, str],
        *,
        keep: Iterable[str] = (),
        children: Mapping[int, Iterable[str]] | None = None,
    ) -> None:
        kept = {_words(name) for name in keep if name.strip()}
        kept_surnames = {_surname(name) for name in keep if name.strip()}
        staff: dict[tuple[str, ...], str] = {}

        def add(key: tuple[str, ...], label: str) -> None:
            # Two people behind one spelling (two Mr Shahs): say no more than "member of staff".
            staff[key] = label if staff.get(key, label) == label else MEMBER_OF_STAFF

        for name, label in roles_by_name.items():
            key = _words(name)
            if len(" ".join(key)) < 3 or key in kept:
                continue
            add(key, label)
            surname = _surname(name)
            if len(name.split()) >= 2 and surname not in kept_surnames:
                for title in _TITLES:
                    add((title, *surname), label)
        child_of: dict[tuple[str, ...], int] = {}
        for pupil_id, spellings in sorted((children or {}).items()):
            for spelling in spellings:
                key = _words(spelling)
                if key and key not in kept and key not in staff:
                    child_of.setdefault(key, pupil_id)
        self._staff = staff
        self._child_of = child_of
        self._letters: dict[int, str] = {}
        self._longest = max(map(len, [*staff, *child_of]), default=0)

    def _replacement(self, key: tuple[str, ...]) -> str | None:
        if key in self._staff:
            return self._staff[key]
        pupil_id = self._child_of.get(key)
        if pupil_id is None:
            return None
        if pupil_id not in self._letters:
            self._letters[pupil_id] = f"Child {child_letter(len(self._letters))}"
        return self._letters[pupil_id]

    def redact(self, text: str) -> str:
        if not text or not self._longest:
            return text
        words = list(_WORD.finditer(text))
        out: list[str] = []
        done = 0  # text[:done] is in `out`
        index = 0
        while index < len(words):
            matched = 0
            # The longest name starting at this word whose words are joined as a name's are.
            joined = 1
            while (
                joined < self._longest
                and index + joined < len(words)
                and _WITHIN_A_NAME.fullmatch(
                    text[words[index + joined - 1].end() : words[index + joined].start()]
                )
            ):
                joined += 1
            for length in range(joined, 0, -1):
                key = tuple(word.group().casefold() for word in words[index : index + length])
                replacement = self._replacement(key)
                if replacement is not None:
                    out += [text[done : words[index].start()], replacement]
                    done = words[index + length - 1].end()
                    matched = length
                    break
            index += matched or 1
        return "".join([*out, text[done:]])


class Redactor(Protocol):
    """What replaces names in an entry's texts before it is printed: `StaffNames` for the
    external version, `Redactions` for a subject access release."""

    def redact(self, text: str) -> str: ...


class Redactions:
    """Replaces each of the given names and phrases by "[redacted]", in any case, as whole words
    ("Zeb" is not taken out of "Zebra"), longest first; between two words any spacing.

    For subject access (docs/rules.md, "Subject access"): the text is replaced before anything
    is laid out, so the PDF never holds what was redacted, under a box or otherwise.
    """

    MARK = "[redacted]"

    def __init__(self, phrases: Iterable[str]) -> None:
        kept = sorted({" ".join(p.split()) for p in phrases if p.strip()}, key=len, reverse=True)
        parts = [r"\s+".join(re.escape(word) for word in phrase.split()) for phrase in kept]
        self._pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)
            if parts
            else None
        )

    def redact(self, text: str) -> str:
        if not text or self._pattern is None:
            return text
        return self._pattern.sub(self.MARK, text)


@dataclass(frozen=True)
class Stamp:
    """What every page says about the export itself."""

    school: str
    generated_by: str
    generated_at: dt.datetime
    version_label: str
    chain_head: str
    entries_count: int
    # "Only entries of kind Telephone call, from 1 Mar 2026 to 9 Mar 2026", or "" for the whole
    # chronology: a filtered export says so on every page.
    filters: str = ""

    @property
    def generated_at_london(self) -> str:
        return f"{self.generated_at.astimezone(LONDON):%d %b %Y %H:%M} (UK time)"


def filters_sentence(shown: Iterable[tuple[str, str]]) -> str:
    """The filters of an export in a sentence for its pages: "Only entries of kind Meeting,
    category Neglect, from 1 Mar 2026 to 9 Mar 2026"; "" when it holds the whole chronology."""
    values = dict(shown)
    what = [f"{label.lower()} {values[label]}" for label in ("Kind", "Category") if label in values]
    since, until = values.get("From"), values.get("To")
    dates = (
        f"from {since} to {until}"
        if since and until
        else f"from {since}"
        if since
        else f"up to {until}"
        if until
        else ""
    )
    if not what and not dates:
        return ""
    if not what:
        return f"Only entries {dates}"
    return "Only entries of " + ", ".join([*what, dates] if dates else what)


@dataclass(frozen=True)
class EntryRow:
    """One chronology entry as printed: texts already redacted for the external version."""

    entry_id: int
    row_hash: str
    kind: str
    kind_code: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    title: str
    body: str
    author: str
    source: str
    # Labelled facts of the entry, in print order: ("Where", "Lunch hall"), ...
    facts: list[tuple[str, str]] = field(default_factory=list)
    # Printed before the body, for a body that is one thing: an action's outcome.
    body_label: str = ""
    written_by: str = ""
    correction_reason: str = ""
    is_correction: bool = False
    is_superseded: bool = False
    body_marks: list[Mark] = field(default_factory=list)


def _when(value: dt.datetime | dt.date | None) -> str:
    if isinstance(value, dt.datetime):
        return f"{value.astimezone(LONDON):%a %-d %b %Y, %H:%M}"
    return f"{value:%a %-d %b %Y}" if isinstance(value, dt.date) else ""


def _moment(value: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


# Keys of `details` printed by `_facts` under their own words; others are printed as they are,
# bar ids (the PDF names things, it does not link them).
_DETAILS_PRINTED = frozenset(
    {
        "location",
        "action_taken",
        "told_dsl_in_person",
        "body_map_marks",
        "written_by",
        "original_written_at",
        "person",
        "agency",
        "participants",
        "from",
        "to",
        "kind",
        "level",
        "step",
        "documents",
        "lawful_basis",
        "size",
        "content_type",
        "original_name",
    }
)


Facts = list[tuple[str, object]]


def _concern_facts(entry: ChronologyEntry, details: Mapping[str, object]) -> Facts:
    if entry.kind != ChronologyEntry.Kind.CONCERN:
        return []
    told = details.get("told_dsl_in_person")
    return [
        ("Where", details.get("location")),
        ("What was done", details.get("action_taken")),
        ("Told the DSL in person", None if told is None else ("yes" if told else "no")),
    ]


def _contact_facts(entry: ChronologyEntry, details: Mapping[str, object]) -> Facts:
    person, agency = details.get("person"), details.get("agency")
    facts: Facts = []
    if entry.kind == ChronologyEntry.Kind.PHONE_CALL or person:
        facts.append(("Call with", ", ".join(str(value) for value in (person, agency) if value)))
    else:
        facts.append(("Agency", agency))
    facts.append(("Participants", details.get("participants")))
    if entry.kind == ChronologyEntry.Kind.STATUS_CHANGE and details.get("to"):
        labels = dict(Concern.Status.choices)
        before, after = str(details.get("from", "")), str(details["to"])
        facts.append(("Status", f"{labels.get(before, before)} to {labels.get(after, after)}"))
    return facts


def _action_facts(entry: ChronologyEntry) -> Facts:
    action = entry.action
    if action is None:
        return []
    return [
        ("Assigned to", action.assignee_name if entry.kind == ChronologyEntry.Kind.ACTION else ""),
        ("Due", _when(action.due_on)),
        (
            "Completed",
            _when(entry.recorded_at) if entry.kind == ChronologyEntry.Kind.ACTION_COMPLETED else "",
        ),
    ]


def _file_facts(entry: ChronologyEntry, details: Mapping[str, object]) -> Facts:
    facts: Facts = []
    if entry.kind == ChronologyEntry.Kind.DOCUMENT and details.get("original_name"):
        facts.append(
            (
                "File",
                f"{details['original_name']} ({details.get('content_type', '')}, "
                f"{details.get('size', '?')} bytes)",
            )
        )
    bases = details.get("lawful_basis")
    if isinstance(bases, list):
        facts.append(("Lawful basis", "; ".join(map(str, bases))))
    documents = details.get("documents")
    for document in documents if isinstance(documents, list) else []:
        if isinstance(document, dict):
            sha256 = str(document.get("sha256", ""))[:16]
            facts.append(
                ("Document shared", f"{document.get('original_name', '')} (SHA-256 {sha256}…)")
            )
    return facts


# Labels of details keys whose name does not read well as it is.
_DETAIL_LABELS = {
    "sha256": "SHA-256",
    "agency_kind": "Kind of agency",
    "lawful_basis_other": "Other lawful basis",
}


def _other_facts(details: Mapping[str, object]) -> Facts:
    """Details of kinds not named above, as they are; ids left out (the PDF names, not links)."""
    facts: Facts = []
    for key, value in details.items():
        if key in _DETAILS_PRINTED or key == "id" or key.endswith("_id"):
            continue
        label = _DETAIL_LABELS.get(key, key.replace("_", " ").capitalize())
        if isinstance(value, bool):
            facts.append((label, "yes" if value else "no"))
        elif isinstance(value, str | int):
            facts.append((label, str(value).replace("_", " ") if key != "sha256" else value))
    return facts


def _facts(
    entry: ChronologyEntry, details: Mapping[str, object], text: Callable[[object], str]
) -> list[tuple[str, str]]:
    """Everything the entry holds beyond its title and body, labelled, in print order."""
    every: Facts = [
        *_concern_facts(entry, details),
        *_contact_facts(entry, details),
        *_action_facts(entry),
        *_file_facts(entry, details),
        *_other_facts(details),
        ("Recorded later because", entry.backdate_reason),
    ]
    return [(label, text(value)) for label, value in every if value not in (None, "")]


def entry_row(
    entry: ChronologyEntry,
    *,
    staff: Redactor | None,
    superseded: bool,
    body_map: object = None,
) -> EntryRow:
    """The entry as printed. `staff` set: the external version, staff names replaced by roles and
    other children's names by "Child B", "Child C", ... `body_map`: the concern's marks as
    stored, for the entry that records a concern."""

    def text(value: object) -> str:
        value = "" if value is None else str(value)
        return staff.redact(value) if staff is not None else value

    details = entry.details if isinstance(entry.details, dict) else {}
    author = (
        role_label(entry.author_role)
        if staff is not None
        else f"{entry.author_name} ({role_label(entry.author_role)})"
    )
    written_by = text(details.get("written_by"))
    if written_by and (written_at := _moment(details.get("original_written_at"))):
        written_by += f" on {_when(written_at)}"
    return EntryRow(
        entry_id=entry.pk,
        row_hash=entry.row_hash,
        kind=entry.get_kind_display(),
        kind_code=entry.kind,
        occurred_at=entry.occurred_at.astimezone(LONDON),
        recorded_at=entry.recorded_at.astimezone(LONDON),
        title=text(entry.title),
        body=text(entry.body),
        author=author,
        source=entry.get_source_display(),
        facts=_facts(entry, details, text),
        body_label="Outcome" if entry.kind == ChronologyEntry.Kind.ACTION_COMPLETED else "",
        written_by=written_by,
        correction_reason=text(entry.correction_reason),
        is_correction=entry.supersedes_id is not None,
        is_superseded=superseded,
        body_marks=[
            dataclasses.replace(mark, note=text(mark.note)) for mark in marks_read(body_map)
        ],
    )


def chronology_pdf(
    *,
    stamp: Stamp,
    pupil: Pupil,
    entries: Iterable[ChronologyEntry],
    external: bool,
    staff: StaffNames | None,
    progress: Callable[[int], None],
    body_maps: Mapping[int, object] | None = None,
) -> bytes:
    """The PDF of the entries, oldest first; calls `progress` with a percentage as it goes.

    The percentage follows the stages: preparing the entries (0-20), laying out the pages
    (20-70, page by page against an estimate of their number), writing the file (70-95). The
    caller reports 100 once the file is stored. `body_maps`: the marks of each concern, by id.
    """
    body_maps = body_maps or {}
    # Deferred: WeasyPrint loads Pango through ctypes at import; pages that never export
    # should not pay for it, nor fail with it when a system library is missing.
    from weasyprint import HTML  # noqa: PLC0415

    rows: list[EntryRow] = []
    step = max(1, stamp.entries_count // 20)
    for index, entry in enumerate(entries, start=1):
        superseded = bool(getattr(entry, "superseded_at_head", False))
        body_map = (
            body_maps.get(entry.concern_id)
            if entry.kind == ChronologyEntry.Kind.CONCERN and entry.concern_id
            else None
        )
        rows.append(entry_row(entry, staff=staff, superseded=superseded, body_map=body_map))
        if index % step == 0 and stamp.entries_count:
            progress(min(20, 20 * index // stamp.entries_count))
    progress(20)
    html = render_to_string(
        "safeguarding/exports/pdf.html",
        {
            "stamp": stamp,
            "pupil": pupil,
            "rows": rows,
            "external": external,
            "first": rows[0].occurred_at if rows else None,
            "last": rows[-1].occurred_at if rows else None,
        },
    )
    pages = max(
        1, sum(len(row.title) + len(row.body) + 250 for row in rows) // _CHARACTERS_PER_PAGE
    )
    with _LayoutProgress(lambda page: progress(20 + min(48, 50 * page // pages))):
        document = HTML(string=html).render()
    progress(70)
    pdf = document.write_pdf()
    progress(95)
    if pdf is None:  # only when given a target to write to, which is not done here
        raise RuntimeError("WeasyPrint returned no PDF.")
    return pdf


class _LayoutProgress(logging.Handler):
    """Calls `on_page` with each page number WeasyPrint lays out, in this thread only (a web
    process may render two exports at once)."""

    def __init__(self, on_page: Callable[[int], None]) -> None:
        super().__init__(level=logging.INFO)
        self._on_page = on_page
        self._thread = threading.get_ident()

    def __enter__(self) -> _LayoutProgress:
        _WEASYPRINT_PROGRESS.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _WEASYPRINT_PROGRESS.removeHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        # "Step 5 - Creating layout - Page %d": the first lay-out of that page.
        if record.thread != self._thread or record.msg != "Step 5 - Creating layout - Page %d":
            return
        if isinstance(record.args, tuple) and record.args and isinstance(record.args[0], int):
            self._on_page(record.args[0])
