"""Long-running cases: a child protection plan, children in need, looked-after children."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from safeguarding.demo import text
from safeguarding.demo.concerns import _Concerns
from safeguarding.demo.pupils import Child
from safeguarding.demo.sharing import _Sharing
from safeguarding.demo.story import _Case
from safeguarding.demo.term_dates import (
    _add_term_days,
    _local_day,
    _school_days_before,
)
from safeguarding.models import Concern, LawfulBasis
from safeguarding.services.pupils import pupil_flag_change
from trustplatform.schooldays.models import academic_year_of

TEMPLATES_BY_KEY = {t.key: t for t in (*text.TEMPLATES, *text.ALLEGATION_TEMPLATES)}


class _Cases(_Concerns, _Sharing):
    """Plans the cases that run for months, with their meetings, calls and reports."""

    def _protection_plan_arc(self, child: Child) -> None:
        """Concerns that build up over months to a child protection plan, still open today."""
        rng = self.rng
        first = self._term_day_near(self.today - dt.timedelta(days=rng.randint(390, 430)))
        primary = child.year_on(first) <= 6
        self._concern(
            [child],
            TEMPLATES_BY_KEY["neglect_hungry" if primary else "neglect_kit"],
            first,
            level="low",
        )
        second = _add_term_days(first, rng.randint(30, 40))
        self._concern(
            [child],
            TEMPLATES_BY_KEY["neglect_lice" if primary else "attendance_absent"],
            second,
            level="medium",
        )
        third = _add_term_days(second, rng.randint(35, 50))
        template = TEMPLATES_BY_KEY["neglect_home_alone" if primary else "da_disclosure"]
        case = self._concern([child], template, third, level="high", follow_up=False)
        if case is None:
            return
        self._status(case, self._after(case.last, 1, 4), Concern.Status.OPEN)
        referred = self._referral(case, 0)
        strategy = self._strategy_meeting(case, referred)
        conference = self._moment(_add_term_days(_local_day(strategy), 15), 10 * 60, 13 * 60)
        self._contact(
            case,
            child,
            conference,
            summary=case.fill(text.MEETINGS["icpc"][0]),
            participants=f"{text.CONFERENCE_CHAIR}; {self._contact_name('front_door')} "
            f"(social worker); {self._title(self.dsl)}; "
            + case.fill("{Adult_rel}; ")
            + f"{self._contact_name('school_nurse')} (school nurse); "
            f"{self._contact_name('police')} (police)",
        )
        self._step(
            conference + dt.timedelta(minutes=30),
            lambda: pupil_flag_change(
                actor=self.dsl,
                pupil=child.enrolled,
                flag="child_protection_plan",
                set_on=True,
                on_date=timezone.localdate(),
            ),
        )
        self._document(self._days_after(conference, 5, 8), "icpc_minutes", child=child, case=case)
        self._plan_meetings(case, child, conference, "core_group", every=(30, 35), calls=True)
        review = self._moment(_add_term_days(_local_day(conference), 60), 10 * 60, 12 * 60)
        if review < self.now:
            self._school_report_shared(case, child, review)
        while review < self.now:
            self._contact(
                case,
                child,
                review,
                summary=case.fill(text.MEETINGS["review_conference"][0]),
                participants=f"{text.CONFERENCE_CHAIR}; {self._contact_name('front_door')} "
                f"(social worker); {self._title(self.dsl)}; " + case.fill("{Adult_rel}"),
            )
            review = self._moment(_add_term_days(_local_day(review), 120), 10 * 60, 12 * 60)

    def _plan_meetings(
        self,
        case: _Case,
        child: Child,
        start: dt.datetime,
        kind: str,
        *,
        every: tuple[int, int],
        calls: bool,
    ) -> None:
        """Regular meetings (core group, child in need) from `start` until today."""
        summaries = text.MEETINGS[kind]
        title = "social worker" if kind != "pep" else "virtual school"
        at = self._days_after(start, 8, 12)
        number = 0
        while at < self.now:
            self._contact(
                case,
                child,
                at,
                summary=case.fill(summaries[number % len(summaries)]),
                participants=f"{self._contact_name('front_door')} ({title}); "
                + case.fill("{Adult_rel}; ")
                + f"{self._title(self.dsl)}; {self._title(self.staff)}",
            )
            if calls:
                self._call(
                    case,
                    self._days_after(at, 8, 14),
                    "front_door",
                    self.rng.choice(text.PHONE_CALLS["social_worker_update"]),
                )
            number += 1
            at = self._days_after(at, *every)

    def _school_report_shared(self, case: _Case, child: Child, conference: dt.datetime) -> None:
        """The social worker asks for the school's report before a review conference."""
        received = self._moment(_school_days_before(_local_day(conference), 8), 9 * 60, 11 * 60)
        decided = self._after(received, 60, 180)
        written = self._days_after(decided, 1, 2)
        self._document(written, "school_report", child=child, case=case)
        shared = self._after(written, 20, 60)
        told = self._days_after(shared, 1, 2)
        self._disclosure(
            child,
            agency_key="front_door",
            received=received,
            requested_by=f"{self._contact_name('front_door')}, social worker",
            summary=case.fill(
                "A school report for {name}'s review child protection conference: attendance, "
                "presentation, progress against the plan and {name}'s views."
            ),
            decided=decided,
            approver=self.dsl,
            bases=(LawfulBasis.PUBLIC_TASK, LawfulBasis.SAFEGUARDING),
            notes="Share the school report only: no other pupils' information.",
            shared=shared,
            shared_summary="The school report for the review conference, by secure email.",
            document_key="school_report",
            told=told,
            told_by=f"{self._title(self.dsl)}, with {child.first_name}'s class teacher",
        )

    def _child_in_need_arc(self, child: Child) -> None:
        rng = self.rng
        day = self._term_day_near(self.today - dt.timedelta(days=rng.randint(200, 380)))
        primary = child.year_on(day) <= 6
        keys = (
            ("mh_parent", "emotional_stupid", "da_disclosure", "young_carer_late")
            if primary
            else ("mh_empty", "attendance_pattern", "da_disclosure", "young_carer_late")
        )
        case = self._concern(
            [child], TEMPLATES_BY_KEY[rng.choice(keys)], day, level="high", follow_up=False
        )
        if case is None:
            return
        self._status(case, self._after(case.last, 1, 4), Concern.Status.OPEN)
        self._referral(case, 1)
        self._call(
            case,
            self._days_after(case.last, 4, 6),
            "front_door",
            text.PHONE_CALLS["social_worker_update"][0],
        )
        plan_start = self._days_after(case.last, 20, 30)
        self._contact(
            case,
            child,
            plan_start,
            summary=case.fill(text.MEETINGS["cin"][0]),
            participants=f"{self._contact_name('front_door')} (social worker); "
            + case.fill("{Adult_rel}; ")
            + f"{self._title(self.dsl)}; {self._title(self.staff)}",
        )
        self._step(
            plan_start + dt.timedelta(minutes=20),
            lambda: pupil_flag_change(
                actor=self.dsl,
                pupil=child.enrolled,
                flag="child_in_need_plan",
                set_on=True,
                on_date=timezone.localdate(),
            ),
        )
        self._plan_meetings(case, child, plan_start, "cin", every=(35, 45), calls=False)

    def _looked_after_arc(self, child: Child) -> None:
        """Termly personal education plan meetings and the virtual school's calls."""
        values_case = _Case(
            children=[child],
            template=TEMPLATES_BY_KEY["mh_parent"],
            level="low",
            values=self._values(child, None, self.onboarding, None),
            screener=self.dsl,
            last=self.onboarding,
        )
        number = 0
        for year in range(academic_year_of(self.start), academic_year_of(self.today) + 1):
            for month, day in ((10, 8), (2, 4), (6, 10)):
                meeting_day = dt.date(year + (month < 9), month, day)
                if not self.start <= meeting_day < self.today or not child.on_roll(meeting_day):
                    continue
                at = self._moment(self._term_day_near(meeting_day), 13 * 60 + 30, 15 * 60)
                self._contact(
                    None,
                    child,
                    at,
                    summary=values_case.fill(text.MEETINGS["pep"][number % 3]),
                    participants=f"{self._title(self.dsl)} (designated teacher); "
                    f"{self._contact_name('virtual_school')} (virtual school); "
                    f"{self._contact_name('front_door')} (social worker); "
                    + values_case.fill("{adult} (foster carer); {name}"),
                    author=self.dsl,
                )
                if number == 0:
                    self._document(self._days_after(at, 2, 4), "pep", child=child)
                if number % 2 == 1:
                    self._contact(
                        None,
                        child,
                        self._days_after(at, 10, 20),
                        summary=values_case.fill(
                            text.PHONE_CALLS["virtual_school"][0],
                            contact=self._contact_name("virtual_school"),
                        ),
                        agency=self._agency_name("virtual_school"),
                        person=self._contact_name("virtual_school"),
                        author=self.dsl,
                    )
                number += 1
