"""Writing the story's records: actions, status changes, calls, meetings and documents."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.files.uploadedfile import SimpleUploadedFile

from safeguarding.demo import text
from safeguarding.demo.documents import demo_pdf, demo_png
from safeguarding.demo.pupils import Child
from safeguarding.demo.story import _Case, _Story
from safeguarding.demo.term_dates import _add_term_days, _local_day
from safeguarding.models import Action, Alert, ChronologyEntry, Concern
from safeguarding.services.chronology import Person
from safeguarding.services.concerns import (
    action_add,
    action_complete,
    alert_mark_read,
    concern_status_set,
    contact_record,
)
from safeguarding.services.documents import document_upload


class _Records(_Story):
    """Plans the records that follow-up is made of, each written by a service at its moment."""

    def _action(
        self,
        case: _Case,
        key: str,
        *,
        at: dt.datetime,
        kind: Action.Kind,
        description: str = "",
        rationale: str = "",
        actor: Person | None = None,
        assignee: Person | None = None,
        due_days: int | None = None,
        done: dt.datetime | None = None,
        outcome: str = "",
    ) -> None:
        by = actor or case.screener
        due_on = _add_term_days(_local_day(at), due_days) if due_days is not None else None

        def add() -> None:
            case.actions[key] = action_add(
                concern=case.current(),
                actor=by,
                kind=kind,
                description=description,
                decision_rationale=rationale,
                assignee=assignee,
                due_on=due_on,
            )

        self._step(at, add)
        case.last = max(case.last, at)
        if done is None:
            return
        done_by = assignee or by

        def complete() -> None:
            action = action_complete(action=case.actions[key], actor=done_by, outcome=outcome)
            if done_by.user_id != by.user_id:
                # The assignee read their alert when they took the action on.
                for alert_id in Alert.objects.filter(
                    concern_id=action.concern_id,
                    user_id=done_by.user_id,
                    reason=Alert.Reason.ACTION_ASSIGNED,
                    read_at__isnull=True,
                ).values_list("pk", flat=True):
                    alert_mark_read(user_id=done_by.user_id, alert_id=alert_id)

        self._step(done, complete)
        case.last = max(case.last, done)

    def _status(
        self, case: _Case, at: dt.datetime, status: Concern.Status, summary: str = ""
    ) -> None:
        def run() -> None:
            case.concern = concern_status_set(
                concern=case.current(), actor=case.screener, status=status, summary=summary
            )

        self._step(at, run)
        case.last = max(case.last, at)

    def _close(self, case: _Case, closures: Sequence[str], least: int, most: int) -> None:
        self._status(
            case,
            self._days_after(case.last, least, most),
            Concern.Status.CLOSED,
            case.fill(self.rng.choice(closures)),
        )

    def _contact(
        self,
        case: _Case | None,
        child: Child,
        at: dt.datetime,
        *,
        summary: str,
        agency: str = "",
        person: str = "",
        participants: str = "",
        author: Person | None = None,
    ) -> None:
        is_call = bool(person)
        kind = ChronologyEntry.Kind.PHONE_CALL if is_call else ChronologyEntry.Kind.MEETING
        # A meeting is written up after it ends; a call straight after.
        occurred = at - dt.timedelta(minutes=self.rng.randint(5, 15) if is_call else 75)
        by = author or (case.screener if case else self.dsl)

        def run() -> None:
            contact_record(
                pupil=child.enrolled,
                author=by,
                kind=kind,
                occurred_at=occurred,
                summary=summary,
                agency=agency,
                person=person,
                participants=participants,
                concern=case.current() if case else None,
            )

        self._step(at, run)
        if case is not None:
            case.last = max(case.last, at)

    def _call(self, case: _Case, at: dt.datetime, agency_key: str, summary: str) -> None:
        contact = self._contact_name(agency_key)
        self._contact(
            case,
            case.child,
            at,
            summary=case.fill(summary, contact=contact),
            agency=self._agency_name(agency_key),
            person=contact,
        )

    def _document(
        self,
        at: dt.datetime,
        key: str,
        *,
        child: Child,
        case: _Case | None = None,
        always: bool = False,
    ) -> None:
        """Uploads an invented document of this kind: the first of each kind, unless `always`."""
        if key in self.planned_documents and not always:
            return
        self.planned_documents.add(key)
        filename, overview, title, lines = text.DOCUMENTS[key]
        values = case.values if case else self._values(child, None, at, None)
        if key == "paper_form":
            content = demo_png(self.rng.randint(0, 10**6))
        else:
            content = demo_pdf(
                title.format_map(values),
                [*(line.format_map(values) for line in lines), "", text.DOCUMENT_FOOTER],
            )

        def run() -> None:
            self.documents[key, child.enrolled.pk] = document_upload(
                pupil=child.enrolled,
                uploaded_file=SimpleUploadedFile(filename, content),
                overview=overview,
                author=self.dsl,
                concern=case.current() if case else None,
            )

        self._step(at, run)
        if case is not None:
            case.last = max(case.last, at)
