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

from django.template.loader import render_to_string

from safeguarding.body_map import Mark, marks_read
from safeguarding.models import ChronologyEntry, Pupil
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


def _key(text: str) -> str:
    """One spelling per name for lookups: case, dots and runs of spaces do not matter."""
    return " ".join(text.replace(".", " ").split()).casefold()


class StaffNames:
    """Finds the school's staff names in text and replaces each with that person's role.

    Matches whole names (any case, any spacing) and, for names of two words or more, a title with
    the surname ("Mrs Okafor"). Names that are also the pupil's own are left alone: the pupil's
    name stays in the external version, and "Mrs <pupil's surname>" is usually the child's
    parent, not a colleague. A first name on its own is not recognised: it is too often someone
    else's too, so free text still needs a read before the external version leaves the school.
    """

    def __init__(self, roles_by_name: Mapping[str, str], *, keep: Iterable[str] = ()) -> None:
        kept = {_key(name) for name in keep if name.strip()}
        kept_surnames = {name.split()[-1] for name in kept if name}
        labels: dict[str, str] = {}

        def add(key: str, label: str) -> None:
            # Two people behind one spelling (two Mr Shahs): say no more than "member of staff".
            labels[key] = label if labels.get(key, label) == label else MEMBER_OF_STAFF

        for name, label in roles_by_name.items():
            key = _key(name)
            if len(key) < 3 or key in kept:
                continue
            add(key, label)
            words = key.split()
            if len(words) >= 2 and words[-1] not in kept_surnames:
                for title in _TITLES:
                    add(f"{title} {words[-1]}", label)
        self._labels = labels
        self._pattern: re.Pattern[str] | None = None
        if labels:
            # Longest first, so "Ada Lovelace-Byron" wins over "Ada Lovelace".
            alternatives = sorted(labels, key=len, reverse=True)
            spelled = (
                r"\.?\s+".join(re.escape(word) for word in key.split()) for key in alternatives
            )
            self._pattern = re.compile(
                r"(?<!\w)(?:" + "|".join(spelled) + r")(?!\w)", re.IGNORECASE
            )

    def redact(self, text: str) -> str:
        if not text or self._pattern is None:
            return text
        return self._pattern.sub(
            lambda match: self._labels.get(_key(match.group(0)), MEMBER_OF_STAFF), text
        )


@dataclass(frozen=True)
class Stamp:
    """What every page says about the export itself."""

    school: str
    generated_by: str
    generated_at: dt.datetime
    version_label: str
    chain_head: str
    entries_count: int

    @property
    def generated_at_london(self) -> str:
        return f"{self.generated_at.astimezone(LONDON):%d %b %Y %H:%M} (UK time)"


@dataclass(frozen=True)
class EntryRow:
    """One chronology entry as printed: texts already redacted for the external version."""

    entry_id: int
    row_hash: str
    kind: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    title: str
    body: str
    author: str
    source: str
    notes: list[str] = field(default_factory=list)
    backdate_reason: str = ""
    correction_reason: str = ""
    is_correction: bool = False
    is_superseded: bool = False
    body_marks: list[Mark] = field(default_factory=list)


def entry_row(
    entry: ChronologyEntry,
    *,
    staff: StaffNames | None,
    superseded: bool,
    body_map: object = None,
) -> EntryRow:
    """The entry as printed. `staff` set: the external version, names replaced by roles.
    `body_map`: the concern's marks as stored, for the entry that records a concern."""

    def text(value: object) -> str:
        value = "" if value is None else str(value)
        return staff.redact(value) if staff is not None else value

    details = entry.details if isinstance(entry.details, dict) else {}
    notes: list[str] = []
    # The same facts the chronology page shows, in the same words.
    if details.get("person") or details.get("agency"):
        call = text(details.get("person"))
        if details.get("agency"):
            call += f", {text(details.get('agency'))}"
        notes.append(f"Call: {call}")
    if details.get("participants"):
        notes.append(f"Participants: {text(details.get('participants'))}")
    if details.get("written_by"):
        notes.append(f"Written by {text(details.get('written_by'))}")
    author = (
        role_label(entry.author_role)
        if staff is not None
        else f"{entry.author_name} ({role_label(entry.author_role)})"
    )
    return EntryRow(
        entry_id=entry.pk,
        row_hash=entry.row_hash,
        kind=entry.get_kind_display(),
        occurred_at=entry.occurred_at.astimezone(LONDON),
        recorded_at=entry.recorded_at.astimezone(LONDON),
        title=text(entry.title),
        body=text(entry.body),
        author=author,
        source=entry.get_source_display(),
        notes=notes,
        backdate_reason=text(entry.backdate_reason),
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
