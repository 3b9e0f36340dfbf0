"""Concerns as the story plans them: who records them, when, how they are screened, how many."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from safeguarding.demo import text
from safeguarding.demo.follow_up import _FollowUp
from safeguarding.demo.pupils import Child
from safeguarding.demo.story import _Case
from safeguarding.demo.term_dates import _school_days_before, is_term_day
from safeguarding.models import Concern, Source
from safeguarding.services.chronology import Person
from safeguarding.services.concerns import concern_record, concern_screen
from trustplatform.schooldays.calendar import LONDON, is_working_day

MONTH_WEIGHTS = {9: 1.2, 10: 1.2, 11: 1.3, 12: 0.9, 1: 1.1, 3: 1.1, 4: 0.9, 7: 0.8}


@dataclass(frozen=True)
class _Recording:
    """How a concern reached the system."""

    author: Person
    recorded: dt.datetime
    source: Source = Source.DIRECT
    original_author: str = ""
    written_at: dt.datetime | None = None
    reason: str = ""


def _phase_of(year: int) -> str:
    return "primary" if year <= 6 else "secondary"


class _Concerns(_FollowUp):
    """Plans concerns: recorded, screened and followed up; and the single ones of each term."""

    def _occurred(self, day: dt.date, template: text.Template) -> dt.datetime:
        if template.notification:
            return self._moment(day, 7 * 60 + 20, 8 * 60 + 40)
        first, last = self.rng.choices(
            ((8 * 60 + 15, 9 * 60 + 10), (9 * 60 + 10, 12 * 60), (12 * 60, 13 * 60 + 15),
             (13 * 60 + 15, 15 * 60 + 15), (15 * 60 + 15, 17 * 60 + 30)),
            weights=(0.22, 0.3, 0.2, 0.18, 0.1),
        )[0]  # fmt: skip
        return self._moment(day, first, last)

    def _template_fits(self, template: text.Template, child: Child, day: dt.date) -> bool:
        year = child.year_on(day)
        return (
            _phase_of(year) in template.phases
            and template.min_year <= year <= template.max_year
            and (not template.sex or template.sex == child.sex)
        )

    def _concern(
        self,
        children: list[Child],
        template: text.Template,
        day: dt.date,
        *,
        level: str | None = None,
        other: Child | None = None,
        occurred: dt.datetime | None = None,
        screen: bool = True,
        follow_up: bool = True,
    ) -> _Case | None:
        """Plans a concern: recorded, then (unless `screen` is false) screened and followed up."""
        rng = self.rng
        category_ids = [self.categories[c] for c in template.categories if c in self.categories]
        if not category_ids:
            return None  # the school has retired these categories
        occurred = occurred or self._occurred(day, template)
        level = level or rng.choices(("low", "medium", "high"), weights=template.levels)[0]
        is_allegation = "allegation-staff" in template.categories
        staff_adult = rng.choice(text.ALLEGATION_ADULTS) if is_allegation else None
        screener = (
            self.dsl
            if is_allegation or template.notification
            else rng.choices((self.dsl, self.deputy), weights=(0.65, 0.35))[0]
        )
        case = _Case(
            children=children,
            template=template,
            level=level,
            values=self._values(children[0], other, occurred, staff_adult),
            screener=screener,
            last=occurred,
            other=other,
        )
        self.concern_count += 1
        self._plan_record(case, category_ids, occurred, staff_adult)
        if not screen:
            return case
        self._plan_screening(case)
        if follow_up:
            if is_allegation:
                self._allegation_follow_up(case)
            else:
                self._follow_up(case)
        return case

    def _recording(self, case: _Case, occurred: dt.datetime) -> _Recording:
        """Who entered the concern, when, and why later than it happened if it was."""
        rng = self.rng
        template = case.template
        if template.notification:
            return _Recording(self.dsl, occurred + dt.timedelta(minutes=rng.randint(3, 12)))
        # About one concern in twenty arrives on a paper form, never an urgent one.
        paper = not template.told_dsl and "allegation-staff" not in template.categories
        if paper and rng.random() < 0.05:
            written_at = occurred + dt.timedelta(minutes=rng.randint(10, 30))
            return _Recording(
                author=rng.choice((self.dsl, self.deputy)),
                recorded=self._days_after(written_at, 1, 3),
                source=Source.PAPER_FORM,
                original_author=rng.choice(text.PAPER_FORM_AUTHORS),
                written_at=written_at,
                reason=rng.choice(text.PAPER_FORM_REASONS),
            )
        author = rng.choices(
            (self.staff, self.key_holder, self.deputy, self.dsl, self.head),
            weights=(0.55, 0.2, 0.1, 0.07, 0.08),
        )[0]
        if rng.random() < 0.7:
            return _Recording(author, occurred + dt.timedelta(minutes=rng.randint(2, 14)))
        return _Recording(
            author,
            occurred + dt.timedelta(minutes=rng.randint(20, 150)),
            reason=rng.choice(text.LATE_RECORDING_REASONS),
        )

    def _plan_record(
        self,
        case: _Case,
        category_ids: list[int],
        occurred: dt.datetime,
        staff_adult: tuple[str, str, str] | None,
    ) -> None:
        template = case.template
        entry = self._recording(case, occurred)
        if occurred < self.now < entry.recorded:  # happened this morning: recorded by now
            entry = dataclasses.replace(entry, recorded=self.now - dt.timedelta(minutes=3))
        adult_name, adult_role, _ = staff_adult or ("", "", "")
        account = case.fill(template.account)
        action_taken = case.fill(template.action_taken)
        location = self.rng.choice(template.locations)
        body_map = [{"view": v, "region": r, "note": n} for v, r, n in template.body_map]

        def record() -> None:
            case.concern = concern_record(
                school=self.school,
                author=entry.author,
                pupil_ids=[c.enrolled.pk for c in case.children],
                category_ids=category_ids,
                account=account,
                occurred_at=occurred,
                backdate_reason=entry.reason,
                location=location,
                action_taken=action_taken,
                told_dsl_in_person=template.told_dsl,
                body_map=body_map,
                source=entry.source,
                original_author_name=entry.original_author,
                original_written_at=entry.written_at,
                adult_name=adult_name,
                adult_role=adult_role,
            )

        self._step(entry.recorded, record)
        case.last = entry.recorded
        if entry.source == Source.PAPER_FORM:
            at = self._after(entry.recorded, 2, 6)
            self._document(at, "paper_form", child=case.child, case=case, always=True)

    def _plan_screening(self, case: _Case) -> None:
        rng = self.rng
        template, level, recorded = case.template, case.level, case.last
        roll = rng.random()
        if template.told_dsl or template.notification or level == "high":
            screened = self._after(recorded, 5, 45)
        elif roll < 0.85:
            screened = self._after(recorded, 20, 300)
        elif roll < 0.95:
            screened = self._after(recorded, 18 * 60, 26 * 60)
        else:
            screened = self._after(recorded, 2 * 24 * 60, 4 * 24 * 60)  # late: it happens
        note = template.screen_note or (
            "An allegation that an adult working in school may have harmed a child: meets the "
            "harm test (KCSIE Part 4). Report to the LADO within one working day; do not "
            "investigate."
        )
        rationale = case.fill(note + " " + rng.choice(text.LEVEL_RATIONALE[level]))
        next_steps = case.fill(text.NEXT_STEPS[level])

        def screen() -> None:
            case.concern = concern_screen(
                concern=case.current(),
                screener=case.screener,
                level=Concern.Level(level),
                rationale=rationale,
                next_steps=next_steps,
            )

        self._step(screened, screen)
        case.last = screened

    # --- the rest of the eighteen months ---

    def _pick_child(
        self, template: text.Template, day: dt.date, exclude: Sequence[Child] = ()
    ) -> Child | None:
        fits = [
            c for c in self._on_roll(day, exclude=exclude) if self._template_fits(template, c, day)
        ]
        if not fits:
            return None
        return self.rng.choices(fits, weights=[c.weight for c in fits])[0]

    def _pick_other(self, child: Child, day: dt.date) -> Child | None:
        year = child.year_on(day)
        near = [
            c
            for c in self._on_roll(day, exclude=[child, *child.siblings])
            if abs(c.year_on(day) - year) <= 1
        ]
        return self.rng.choice(near) if near else None

    def _single(
        self, day: dt.date, templates: Sequence[text.Template], **options: Any
    ) -> _Case | None:
        rng = self.rng
        for _ in range(12):
            template = rng.choices(templates, weights=[t.weight for t in templates])[0]
            child = self._pick_child(template, day)
            if child is None:
                continue
            other = self._pick_other(child, day) if template.other_pupil else None
            if template.other_pupil and other is None:
                continue
            children = [child]
            if template.notification:
                children += [s for s in child.siblings if s.on_roll(day)]
            elif other is not None and rng.random() < (
                0.5 if "child-on-child" in template.categories else 0.25
            ):
                children.append(other)
            return self._concern(children, template, day, other=other, **options)
        return None

    def _singles(self, count: int) -> None:
        days = [
            self.start + dt.timedelta(days=n) for n in range(14, (self.today - self.start).days)
        ]
        weights = [
            (1.0 if is_term_day(d) else 0.03 if is_working_day(d) else 0.0)
            * MONTH_WEIGHTS.get(d.month, 1.0)
            for d in days
        ]
        for day in sorted(self.rng.choices(days, weights=weights, k=max(count, 0))):
            self._single(day, text.TEMPLATES)

    def _allegation(self) -> None:
        candidates = [
            self.start + dt.timedelta(days=n)
            for n in range(60, (self.today - self.start).days - 40)
        ]
        day = self._term_day_near(self.rng.choice(candidates))
        self._single(day, text.ALLEGATION_TEMPLATES)

    def _unscreened(self) -> None:
        """New concerns nobody has screened yet: one well past the 24 school hours."""
        calm = [t for t in text.TEMPLATES if t.levels[2] == 0 and not t.told_dsl]
        self._single(_school_days_before(self.today, 3), calm, screen=False)
        local_now = self.now.astimezone(LONDON)
        for _ in range(self.rng.randint(1, 2)):
            if is_working_day(self.today) and local_now.time() > dt.time(11, 0):
                # This morning, recorded a few minutes later: before now.
                minutes_ago = self.rng.randint(45, 150)
                occurred = self.now - dt.timedelta(minutes=minutes_ago)
                self._single(self.today, calm, occurred=occurred, screen=False)
            else:
                self._single(_school_days_before(self.today, 1), calm, screen=False)
