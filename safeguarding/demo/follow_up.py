"""What the DSL and staff do after screening a concern, by level, and after an allegation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone

from safeguarding.demo import text
from safeguarding.demo.records import _Records
from safeguarding.demo.story import _Case
from safeguarding.demo.term_dates import _at, _local_day
from safeguarding.models import Action, Concern
from safeguarding.services.allegations import allegation_record_update


class _FollowUp(_Records):
    """Plans the follow-up of a screened concern: low, medium, high, or an allegation."""

    def _follow_up(self, case: _Case) -> None:
        template = case.template
        if template.notification:
            at = self._after(case.last, 3, 10)
            self._document(at, "encompass", child=case.child, case=case)
            self._action(
                case,
                "check_in",
                at=self._after(at, 1, 5),
                kind=Action.Kind.CONVERSATION_PUPIL,
                description=case.fill(text.ENCOMPASS_CHECK_IN),
                assignee=self.staff,
                due_days=0,
                done=_at(_local_day(at), 15 * 60 + self.rng.randint(20, 55)),
                outcome=case.fill(self.rng.choice(text.ENCOMPASS_OUTCOMES)),
            )
        if case.level == "low":
            self._low(case, parents=not template.notification and not template.parents_not_told)
        elif case.level == "medium":
            self._medium(case)
        else:
            self._high(case)

    def _parents_informed(
        self, case: _Case, outcomes: Sequence[str] = (), *, after: dt.datetime | None = None
    ) -> None:
        at = self._after(after or case.last, 3, 30)
        self._action(
            case,
            "parents",
            at=at,
            kind=Action.Kind.PARENTS_INFORMED,
            description=case.fill(self.rng.choice(text.PARENT_CALL_DESCRIPTIONS)),
            assignee=self.rng.choice((case.screener, self.key_holder)),
            due_days=1,
            done=self._after(at, 60, 26 * 60),
            outcome=case.fill(self.rng.choice(outcomes or text.PARENT_CALL_OUTCOMES)),
        )

    def _pupil_check_in(self, case: _Case, *, after: dt.datetime | None = None) -> None:
        at = self._after(after or case.last, 3, 25)
        self._action(
            case,
            "pupil",
            at=at,
            kind=Action.Kind.CONVERSATION_PUPIL,
            description=case.fill(self.rng.choice(text.PUPIL_CHAT_DESCRIPTIONS)),
            assignee=self.rng.choice((self.staff, self.key_holder)),
            due_days=3,
            done=self._days_after(at, 1, 6),
            outcome=case.fill(self.rng.choice(text.PUPIL_CHAT_OUTCOMES)),
        )

    def _low(self, case: _Case, *, parents: bool) -> None:
        rng = self.rng
        screened = case.last
        if parents and rng.random() < 0.85:
            self._parents_informed(case)
        if rng.random() < 0.55:
            self._pupil_check_in(case, after=screened)
        if case.other is not None and rng.random() < 0.35:
            at = self._after(case.last, 5, 60)
            self._action(
                case,
                "adult",
                at=at,
                kind=Action.Kind.CONVERSATION_ADULT,
                description=case.fill(rng.choice(text.ADULT_CHAT_DESCRIPTIONS)),
                assignee=self.key_holder,
                due_days=5,
                done=self._days_after(at, 2, 8),
                outcome=case.fill(rng.choice(text.ADULT_CHAT_OUTCOMES)),
            )
        if rng.random() < 0.45:
            at = self._after(case.last, 3, 30)
            self._action(
                case,
                "nfa",
                at=at,
                kind=Action.Kind.NO_FURTHER_ACTION,
                rationale=case.fill(rng.choice(text.NFA_RATIONALES)),
                done=self._after(at, 5, 40),
                outcome="Decision shared with the class teacher, who will pass on any new concern.",
            )
        self._close(case, text.CLOSURES["low"], 5, 20)

    def _medium(self, case: _Case) -> None:
        rng = self.rng
        template = case.template
        self._status(case, self._after(case.last, 1, 5), Concern.Status.OPEN)
        opened = case.last
        if not template.parents_not_told:
            self._parents_informed(case)
        if rng.random() < 0.6:
            self._pupil_check_in(case, after=opened)
        at = self._after(case.last, 10, 90)
        if template.medium_agency == "early_help":
            description, outcome = text.EARLY_HELP_ACTION
            meeting = self._days_after(at, 6, 18)
            self._contact(
                case,
                case.child,
                meeting,
                summary=case.fill(text.MEETINGS["taf"][0]),
                participants=case.fill(
                    "{Adult_rel}; "
                    + f"{self._contact_name('early_help')} (early help practitioner); "
                    + f"{self._title(self.staff)}; {self._title(case.screener)}"
                ),
            )
            self._action(
                case,
                "early_help",
                at=at,
                kind=Action.Kind.REFERRAL_EARLY_HELP,
                description=case.fill(description),
                assignee=self.deputy,
                due_days=10,
                done=self._after(meeting, 15, 40),
                outcome=case.fill(outcome),
            )
            self._document(
                self._days_after(meeting, 1, 2), "early_help", child=case.child, case=case
            )
        else:
            description, outcome = text.AGENCY_ACTIONS[template.medium_agency]
            self._action(
                case,
                "agency",
                at=at,
                kind=Action.Kind.AGENCY_CONTACT,
                description=case.fill(description),
                assignee=case.screener,
                due_days=5,
                done=self._days_after(at, 2, 12),
                outcome=case.fill(outcome),
            )
            if template.medium_agency == "camhs":
                self._call(
                    case, self._after(at, 20, 90), "camhs", text.PHONE_CALLS["camhs_advice"][0]
                )
                self._document(
                    self._days_after(case.last, 8, 15), "camhs_letter", child=case.child, case=case
                )
        if rng.random() < 0.3:
            self._contact(
                case,
                case.child,
                self._days_after(case.last, 3, 12),
                summary=case.fill(rng.choice(text.PHONE_CALLS["parent"])),
                person=case.values["Adult_rel"],
            )
        if rng.random() < 0.85:
            self._close(case, text.CLOSURES["medium"], 15, 45)

    def _referral(self, case: _Case, outcome: int) -> dt.datetime:
        """Phones the Front Door and records the referral; returns when the referral was made."""
        template = case.template
        call_at = self._after(case.last, 5, 25)
        advice = (
            "that school should not tell the family about the referral: social care and the "
            "police will speak to them"
            if template.parents_not_told
            else "that school should tell {adult_rel} about the referral today"
        )
        self._call(
            case,
            call_at,
            "front_door",
            text.PHONE_CALLS["front_door_referral"][0].replace("{parents_advice}", advice),
        )
        referred = self._after(call_at, 10, 30)
        description, outcomes = text.SOCIAL_CARE_ACTION
        self._action(
            case,
            "social_care",
            at=referred,
            kind=Action.Kind.REFERRAL_SOCIAL_CARE,
            description=description,
            assignee=self.dsl,
            due_days=1,
            done=self._days_after(referred, 1, 2),
            outcome=outcomes[outcome],
        )
        self._document(self._after(referred, 30, 120), "referral", child=case.child, case=case)
        if template.police:
            at = self._after(referred, 15, 60)
            description, police_outcome = text.POLICE_ACTION
            self._action(
                case,
                "police",
                at=at,
                kind=Action.Kind.REFERRAL_POLICE,
                description=description,
                assignee=self.dsl,
                due_days=1,
                done=self._after(at, 60, 20 * 60),
                outcome=case.fill(police_outcome),
            )
        if not template.parents_not_told:
            self._parents_informed(case, text.PARENT_REFERRAL_OUTCOMES, after=referred)
        return referred

    def _strategy_meeting(self, case: _Case, after: dt.datetime) -> dt.datetime:
        at = self._days_after(after, 1, 2)
        self._contact(
            case,
            case.child,
            at,
            summary=case.fill(text.MEETINGS["strategy"][0]),
            participants=f"{self._title(self.dsl)}; "
            f"{self._contact_name('front_door')} (social worker); "
            f"{self._contact_name('police')} (police); "
            f"{self._contact_name('school_nurse')} (school nurse)",
        )
        return at

    def _high(self, case: _Case) -> None:
        rng = self.rng
        self._status(case, self._after(case.last, 1, 4), Concern.Status.OPEN)
        outcome = (
            0 if case.template.police else rng.choices((0, 1, 2), weights=(0.45, 0.35, 0.2))[0]
        )
        referred = self._referral(case, outcome)
        self.high_cases.append((case, referred))
        if outcome == 0:
            self._strategy_meeting(case, referred)
        for _ in range(rng.randint(1, 2)):
            self._call(
                case,
                self._days_after(case.last, 4, 12),
                "front_door",
                rng.choice(text.PHONE_CALLS["social_worker_update"]),
            )
        if outcome == 2:
            description, eh_outcome = text.EARLY_HELP_ACTION
            at = self._after(case.last, 10, 60)
            self._action(
                case,
                "early_help",
                at=at,
                kind=Action.Kind.REFERRAL_EARLY_HELP,
                description=case.fill(description),
                assignee=self.deputy,
                due_days=10,
                done=self._days_after(at, 8, 20),
                outcome=case.fill(eh_outcome),
            )
        if rng.random() < 0.75:
            closures = {0: text.CLOSURES["high"][1:], 1: text.CLOSURES["high"][:1]}
            self._close(case, closures.get(outcome, text.CLOSURES["medium"]), 15, 45)

    def _allegation_follow_up(self, case: _Case) -> None:
        rng = self.rng
        at = self._after(case.last, 10, 60)
        reported = self._after(at, 30, 120)
        self._action(
            case,
            "lado",
            at=at,
            kind=Action.Kind.AGENCY_CONTACT,
            description=text.LADO_ACTION,
            actor=self.dsl,
            assignee=self.head,
            due_days=1,
            done=reported,
            outcome=case.fill(text.LADO_OUTCOME),
        )
        reference = case.values["lado_ref"]

        def referred() -> None:
            allegation_record_update(
                allegation=case.current().allegation,
                actor=self.head,
                lado_referred_at=timezone.now() - dt.timedelta(minutes=10),
                lado_reference=reference,
            )

        self._step(reported + dt.timedelta(minutes=1), referred)
        concluded = self._days_after(reported, 15, 30)
        outcome = rng.choices(
            ("unsubstantiated", "unfounded", "substantiated", "false"),
            weights=(0.45, 0.3, 0.2, 0.05),
        )[0]

        def record_outcome() -> None:
            allegation_record_update(
                allegation=case.current().allegation,
                actor=self.dsl,
                outcome=outcome,
                notes=text.ALLEGATION_NOTES[outcome],
            )

        self._step(concluded, record_outcome)
        case.last = concluded
        self._close(case, [text.ALLEGATION_CLOSURE.replace("{outcome}", outcome)], 1, 3)
