"""The whole plan of one school's eighteen months, put together from the package's parts."""

from __future__ import annotations

import datetime as dt
import functools

from django.utils import timezone

from safeguarding.demo.cases import _Cases
from safeguarding.demo.pupils import Child, _household, demo_children
from safeguarding.demo.term_dates import _at, _local_day, _school_days_before
from safeguarding.models import FamilyLink
from safeguarding.services.pupils import (
    family_link_add,
    pupil_create,
    pupil_flag_change,
    pupil_update,
)


class _Seeder(_Cases):
    """Plans a school's eighteen months (`plan`), then writes them in order (`run`)."""

    def plan(self) -> None:
        urn_tail = self.school.urn[-4:]
        establishment = int(urn_tail) if urn_tail.isdigit() else self.rng.randint(2000, 7999)
        self.children = demo_children(
            self.rng, phase=self.school.phase, today=self.today, establishment=establishment
        )
        self.looked_after_ids: set[int] = set()
        looked_after, protected, in_need = self._choose_arc_children()
        self._plan_directory()
        self._plan_enrolment()
        for child in protected:
            self._protection_plan_arc(child)
        for child in in_need:
            self._child_in_need_arc(child)
        for child in looked_after:
            self._looked_after_arc(child)
        for _ in range(1 + (self.rng.random() < 0.5)):
            self._allegation()
        self._unscreened()
        self._singles(self.rng.randint(75, 110) - self.concern_count)
        self._police_request()
        if in_need:
            self._refused_request(in_need[0])
        if protected:
            self._pending_request(protected[0])
        self._step(self.now - dt.timedelta(minutes=2), self._key_holder_grant)

    def _choose_arc_children(self) -> tuple[list[Child], list[Child], list[Child]]:
        settled = [
            c
            for c in self.children
            if c.left is None and c.admitted < self.start + dt.timedelta(days=30)
        ]
        on_roll = sum(1 for c in self.children if c.left is None)
        # About 1% looked after, 1% on a child protection plan, 3% on a child in need plan.
        looked_after = self.rng.sample(settled, min(len(settled), max(1, round(on_roll * 0.01))))
        for child in looked_after:
            child.fields.update(pupil_premium=True)
            self.looked_after_ids.add(id(child))
            child.household = _household(self.rng, looked_after=True)
            child.weight *= 3
        arc_start = self.today - dt.timedelta(days=430)
        candidates = [
            c
            for c in settled
            if c not in looked_after and 1 <= c.year_on(arc_start) <= 10 and not c.siblings
        ]
        protected = self.rng.sample(candidates, min(len(candidates), max(1, round(on_roll * 0.01))))
        candidates = [c for c in candidates if c not in protected]
        in_need = self.rng.sample(candidates, min(len(candidates), max(2, round(on_roll * 0.03))))
        for child in (*protected, *in_need):
            child.weight *= 2
        return looked_after, protected, in_need

    def _plan_enrolment(self) -> None:
        created: dict[int, dt.datetime] = {}
        for index, child in enumerate(self.children):
            week_before = _school_days_before(child.admitted, 5)
            when = (
                self.onboarding + dt.timedelta(minutes=30, seconds=index)
                if week_before <= _local_day(self.onboarding)
                else _at(week_before, 10 * 60 + index % 60)
            )
            created[id(child)] = when
            self._step(when, functools.partial(self._enrol, child))
            if child.left is not None:
                self._step(_at(child.left, 16 * 60), functools.partial(self._leave, child))
        for child in self.children:
            for sibling in child.siblings:
                if self.children.index(child) < self.children.index(sibling):
                    relationship = (
                        FamilyLink.Relationship.HALF_SIBLING
                        if child.half_sibling or sibling.half_sibling
                        else FamilyLink.Relationship.SIBLING
                    )
                    when = max(created[id(child)], created[id(sibling)]) + dt.timedelta(minutes=1)
                    self._step(when, functools.partial(self._link, child, sibling, relationship))

    def _enrol(self, child: Child) -> None:
        child.pupil = pupil_create(actor_id=self.admin_id, **child.fields)
        if id(child) in self.looked_after_ids:
            # Looked after when they joined: the DSL sets the flag as the child is enrolled.
            pupil_flag_change(
                actor=self.dsl,
                pupil=child.pupil,
                flag="looked_after",
                set_on=True,
                on_date=timezone.localdate(),
            )

    def _leave(self, child: Child) -> None:
        pupil_update(pupil=child.enrolled, actor_id=self.admin_id, leaving_date=child.left)

    def _link(self, child: Child, relative: Child, relationship: str) -> None:
        family_link_add(pupil=child.enrolled, relative=relative.enrolled, relationship=relationship)
