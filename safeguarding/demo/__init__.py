"""Invented records for the demo: a school's pupils and eighteen months of safeguarding work.

`seed_school_records` fills one school (the caller has entered its schema) with invented pupils
and a true-to-life spread of concerns, screening, actions, calls, meetings, documents and
information sharing, so that every page of the demo has something to show. Everything is written
through the services, as staff would write it.

The services stamp every record with the server's time, so each call runs with the clock moved
(time-machine, `tick=False`) to the moment it happens in the story: recorded-at times, screening
times, alert times and the chronology's order all agree, as in a school that has used the system
for a year and a half. Nothing is backdated with a reason unless staff would have had one (a
paper form entered later, a concern recorded after the lesson).

Deterministic for a given `rng_seed` and day; idempotent: a school that already has pupils is
left alone.

The package, by area: pupils.py draws the invented roll and documents.py the files' content;
text.py holds every word of the story. The plan is a chain of classes, one per area, on the
shared state and clock of story.py (term_dates.py is its calendar): records.py, follow_up.py,
concerns.py, sharing.py and cases.py, put together in seeder.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from unittest import mock

from django.db import transaction
from django.utils import timezone

from safeguarding.demo.seeder import _Seeder
from safeguarding.models import ChronologyEntry, Concern, Disclosure, Document, Pupil
from safeguarding.services import concerns as concern_services
from safeguarding.services import pupils as pupil_services
from tenants.models import School
from trustplatform.accounts.models import Role, User

__all__ = ["SeedSummary", "seed_school_records"]


@dataclass(frozen=True)
class SeedSummary:
    """What a school holds after seeding, and whether this run seeded it."""

    school_name: str
    seeded: bool
    pupils: int
    concerns: int
    chronology_entries: int
    documents: int
    disclosures: int

    def line(self) -> str:
        state = "seeded" if self.seeded else "already seeded"
        return (
            f"{self.school_name}: {self.pupils} pupils, {self.concerns} concerns, "
            f"{self.chronology_entries} chronology entries ({state})"
        )


def seed_school_records(
    *,
    school: School,
    people: Mapping[Role, User],
    rng_seed: int,
    now: dt.datetime | None = None,
) -> SeedSummary:
    """Fills the current school's schema with invented records; does nothing if it has pupils.

    `people` holds one user per school role (the DSL at least); they are the authors, screeners
    and assignees of everything recorded.
    """
    if Pupil.objects.exists():
        return _summary(school, seeded=False)
    seeder = _Seeder(
        school=school,
        people=people,
        rng=random.Random(rng_seed),  # noqa: S311 - invented data, reproducible from the seed
        now=now or timezone.now(),
    )
    seeder.plan()
    # One transaction per school: the chronology's chain lock is taken once per append and held
    # to the end, which is harmless here because nobody else writes to a school being seeded.
    with transaction.atomic(), _alert_emails_held_back(), _enrolment_log_quiet():
        seeder.run()
    return _summary(school, seeded=True)


def _summary(school: School, *, seeded: bool) -> SeedSummary:
    return SeedSummary(
        school_name=school.name,
        seeded=seeded,
        pupils=Pupil.objects.count(),
        concerns=Concern.objects.count(),
        chronology_entries=ChronologyEntry.objects.count(),
        documents=Document.objects.count(),
        disclosures=Disclosure.objects.count(),
    )


@contextlib.contextmanager
def _alert_emails_held_back() -> Iterator[None]:
    # The alerts themselves are written (the DSL's alert list shows them) but their emails are
    # not queued: they belong to events of the past eighteen months, and queueing them would send
    # hundreds of emails when the demo's worker starts. Concerns still unscreened are escalated,
    # and emailed, by the escalation task as in real life.
    with mock.patch.object(concern_services, "_send_alert_emails_after_commit", lambda c: None):
        yield


@contextlib.contextmanager
def _enrolment_log_quiet() -> Iterator[None]:
    # The pupils service logs each enrolment at INFO; a hundred lines per school would bury the
    # demo's own output (the accounts and their passwords).
    pupils_log = logging.getLogger(pupil_services.__name__)
    level = pupils_log.level
    pupils_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        pupils_log.setLevel(level)
