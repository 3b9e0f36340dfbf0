"""Information sharing in the story: the directory of agencies, requests and their decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone

from safeguarding.demo import text
from safeguarding.demo.pupils import Child
from safeguarding.demo.story import _Story
from safeguarding.demo.term_dates import _local_day, _school_days_before
from safeguarding.models import Agency, Disclosure, LawfulBasis
from safeguarding.services.access import key_holder_access_set
from safeguarding.services.chronology import Person
from safeguarding.services.sharing import (
    agency_contact_create,
    agency_create,
    disclosure_decide,
    disclosure_record_child_informed,
    disclosure_record_shared,
    disclosure_request_record,
)
from trustplatform.accounts.models import Role


class _Sharing(_Story):
    """Plans the agencies' directory, the disclosures asked of the school, a key holder's grant."""

    def _plan_directory(self) -> None:
        def create() -> None:
            for spec in text.AGENCIES:
                existing = Agency.objects.filter(name__iexact=spec.name).first()
                agency = existing or agency_create(
                    author=self.dsl,
                    name=spec.name,
                    kind=spec.kind,
                    phone=spec.phone,
                    email=spec.email,
                    notes=spec.notes,
                )
                self.agencies[spec.key] = agency
                for name, role in spec.contacts:
                    contact = agency.contacts.filter(name=name).first() or agency_contact_create(
                        agency=agency, author=self.dsl, name=name, role=role, phone=spec.phone
                    )
                    self.contacts.setdefault(spec.key, contact)

        self._step(self.onboarding, create)

    def _disclosure(
        self,
        child: Child,
        *,
        agency_key: str,
        received: dt.datetime,
        requested_by: str,
        summary: str,
        decided: dt.datetime | None = None,
        approver: Person | None = None,
        bases: Sequence[str] = (),
        notes: str = "",
        refused: bool = False,
        shared: dt.datetime | None = None,
        shared_summary: str = "",
        document_key: str = "",
        told: dt.datetime | None = None,
        told_by: str = "",
        not_told_reason: str = "",
    ) -> None:
        state: dict[str, Disclosure] = {}

        def request() -> None:
            state["disclosure"] = disclosure_request_record(
                pupil=child.enrolled,
                agency=self.agencies[agency_key],
                contact=self.contacts.get(agency_key),
                requested_by=requested_by,
                request_summary=summary,
                request_received_at=timezone.now(),
                author=self.dsl,
            )

        self._step(received, request)
        if decided is None or approver is None:
            return
        self._step(
            decided,
            lambda: state.update(
                disclosure=disclosure_decide(
                    disclosure=state["disclosure"],
                    approve=not refused,
                    approver=approver,
                    lawful_basis=bases,
                    notes=notes,
                )
            ),
        )
        if shared is not None:

            def share() -> None:
                issued = self.documents.get((document_key, child.enrolled.pk))
                state["disclosure"] = disclosure_record_shared(
                    disclosure=state["disclosure"],
                    shared_summary=shared_summary,
                    shared_at=timezone.now(),
                    shared_via=Disclosure.SharedVia.SECURE_EMAIL,
                    author=self.dsl,
                    documents=[issued] if issued else [],
                )

            self._step(shared, share)
        if told is not None:
            self._step(
                told,
                lambda: disclosure_record_child_informed(
                    disclosure=state["disclosure"],
                    informed=not not_told_reason,
                    informed_at=timezone.now() if not not_told_reason else None,
                    informed_by=told_by,
                    reason_not_informed=not_told_reason,
                    author=self.dsl,
                ),
            )

    def _police_request(self) -> None:
        """The police ask for a child's records for a joint investigation; the head approves."""
        for case, referred in self.high_cases:
            if not case.template.police or referred > self.now - dt.timedelta(days=60):
                continue
            received = self._days_after(referred, 3, 6)
            decided = self._after(received, 120, 300)
            shared = self._after(decided, 30, 90)
            self._disclosure(
                case.child,
                agency_key="police",
                received=received,
                requested_by=f"DC {self._contact_name('police')}, child abuse investigation team",
                summary=case.fill(
                    "Copies of the school's record of {name}'s disclosure and of {his} attendance "
                    "this school year, for the joint section 47 investigation."
                ),
                decided=decided,
                approver=self.head,
                bases=(LawfulBasis.CRIME, LawfulBasis.PUBLIC_TASK, LawfulBasis.SAFEGUARDING),
                notes="Share the concern record and the attendance summary only.",
                shared=shared,
                shared_summary=case.fill(
                    "The concern record and {name}'s attendance summary, by secure email."
                ),
                told=self._after(shared, 10, 30),
                not_told_reason=case.fill(
                    f"DC {self._contact_name('police')} asked that {{name}} is not told while the "
                    "investigation is live. To be revisited when it ends."
                ),
            )
            return

    def _refused_request(self, child: Child) -> None:
        """A solicitor in family proceedings asks for the whole file: the head refuses."""
        received = self._moment(
            self._term_day_near(self.today - dt.timedelta(days=50)), 10 * 60, 12 * 60
        )
        if not child.on_roll(_local_day(received)):
            return
        name = child.first_name
        self._disclosure(
            child,
            agency_key="solicitors",
            received=received,
            requested_by=f"{self._contact_name('solicitors')}, solicitor acting for a parent",
            summary=f"A copy of {name}'s full safeguarding file for private law proceedings "
            "(child arrangements).",
            decided=self._days_after(received, 1, 2),
            approver=self.head,
            refused=True,
            notes="Not shared: the request is for private family law proceedings. The school will "
            "disclose under a court order, or to the court's own officer on request. Releasing "
            f"the whole file is not in {name}'s best interests.",
        )

    def _pending_request(self, child: Child) -> None:
        """A request that came in this week and waits for the DSL's or head's decision."""
        received = self._moment(_school_days_before(self.today, 2), 10 * 60, 12 * 60)
        self._disclosure(
            child,
            agency_key="school_nurse",
            received=received,
            requested_by=f"{self._contact_name('school_nurse')}, school nurse",
            summary=f"Attendance and any health-related concerns this school year, for "
            f"{child.first_name}'s review health assessment.",
        )

    def _key_holder_grant(self) -> None:
        key_holder = self.people.get(Role.KEY_HOLDER)
        if key_holder is None:
            return
        years = [5, 6] if self.school.phase in ("primary", "nursery") else [10, 11]
        key_holder_access_set(
            school=self.school,
            key_holder=key_holder,
            category_ids=[
                self.categories[c] for c in ("bullying", "online-safety") if c in self.categories
            ],
            year_groups=years,
            actor=self.people[Role.DSL],
        )
