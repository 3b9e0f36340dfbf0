"""The MIS sync report, and a pupil's history of the fields the MIS owns.

The report is for whoever imports pupils (the DSL and the school administrator); it holds counts
and the reasons rows were rejected, never a copy of a child's details. A pupil's history is read
by whoever may read the pupil: the caller has already opened the pupil through
`pupil_get_for_reader`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from safeguarding.models import Pupil, PupilHistory, PupilSyncRun, YearGroup
from safeguarding.services.pupils import field_label

HISTORY_SHOWN = 50


def sync_runs_recent() -> QuerySet[PupilSyncRun]:
    """Every run, newest first, without the rejected rows' reasons (the list shows counts)."""
    return PupilSyncRun.objects.defer("rejections")


def sync_run_get(*, run_id: int) -> PupilSyncRun:
    run = PupilSyncRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404("No such sync run.")
    return run


@dataclass(frozen=True)
class HistoryLine:
    label: str
    old: str
    new: str
    changed_at: dt.datetime
    sync_run_id: int | None


def _shown(name: str, value: str) -> str:
    if value == "":
        return "none"
    if value in ("yes", "no"):
        return value.capitalize()
    if name == "year_group":
        return str(YearGroup(int(value)).label)
    if name in ("admission_date", "leaving_date"):
        return f"{dt.date.fromisoformat(value):%-d %B %Y}"
    return value


def pupil_history(pupil: Pupil) -> list[HistoryLine]:
    """The latest changes of the pupil's MIS-owned fields, newest first, as people read them."""
    return [
        HistoryLine(
            label=field_label(change.field),
            old=_shown(change.field, change.old),
            new=_shown(change.field, change.new),
            changed_at=change.changed_at,
            sync_run_id=change.sync_run_id,
        )
        for change in PupilHistory.objects.filter(pupil=pupil)[:HISTORY_SHOWN]
    ]
