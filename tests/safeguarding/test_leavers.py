"""A pupil who has left keeps a read-only record: a sync (the CSV import or the API) leaves it as
it was and deletes nothing; no new concern is recorded against them, while what the school learns
later is still written in their chronology (docs/rules.md, "Leavers")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from safeguarding.models import ChronologyEntry, Pupil
from safeguarding.services.chronology import Person, note_record
from safeguarding.services.concerns import concern_record
from safeguarding.services.pupil_import import (
    RowAction,
    SyncOutcome,
    pupil_import_apply,
    pupil_import_preview,
    pupil_sync,
)
from tenants.models import School
from tests.conftest import World
from tests.safeguarding.conftest import category_ids
from tests.safeguarding.fixtures import make_upn
from trustplatform.accounts.models import Role

HEADER = "UPN,Legal Surname,Legal Forename,Date of Birth,Sex,Year Group,Form,Leaving Date"


def _csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def _leaver() -> Pupil:
    pupil_import_apply(
        _csv(f"{make_upn(82601)},Hollowmere,Ivo,01/02/2013,M,7,7M,18/07/2025"), actor_id=1
    )
    return Pupil.objects.get(upn=make_upn(82601))


def test_a_sync_leaves_a_leavers_record_as_it_was(school_a: School) -> None:
    with schema_context(school_a.schema_name):
        before = Pupil.objects.filter(pk=_leaver().pk).values().get()
        # The MIS still sends the leaver, changed (renamed, moved up, back on roll) or broken.
        preview = pupil_import_preview(
            _csv(f"{make_upn(82601)},Renamed,Ivo,01/02/2013,M,8,8X,"),
        )
        [row] = preview.rows
        assert (row.action, row.has_left) == (RowAction.UNCHANGED, True)
        result = pupil_import_apply(preview, actor_id=1)
        synced = pupil_sync(
            [{"upn": make_upn(82601), "legal_last_name": "Other", "year_group": "not a year"}],
            actor_id=1,
        )

        assert (result.updated, result.unchanged) == (0, 1)
        assert [(r.outcome, r.reasons) for r in synced.rows] == [(SyncOutcome.UNCHANGED, ())]
        assert Pupil.objects.filter(pk=before["id"]).values().get() == before
        # A sync that leaves the pupil out deletes nothing either.
        pupil_import_apply(_csv(f"{make_upn(82602)},Newcomer,Ada,03/04/2014,F,6,6A,"), actor_id=1)
        assert Pupil.objects.filter(pk=before["id"]).values().get() == before


def test_a_future_leaving_date_is_still_synced(school_a: School) -> None:
    # Not left yet: the MIS may still correct the record, leaving date included.
    soon = (timezone.localdate() + dt.timedelta(days=30)).strftime("%d/%m/%Y")
    with schema_context(school_a.schema_name):
        pupil_import_apply(
            _csv(f"{make_upn(82603)},Larkspur,Wen,01/02/2013,F,7,7M,{soon}"), actor_id=1
        )
        result = pupil_import_apply(
            _csv(f"{make_upn(82603)},Larkspur,Wen,01/02/2013,F,7,7M,"), actor_id=1
        )
        assert result.updated == 1
        assert Pupil.objects.get(upn=make_upn(82603)).leaving_date is None


def test_no_new_concern_about_a_leaver_but_later_information_is_recorded(
    world: World, school_a: School
) -> None:
    dsl = world.person("a", Role.DSL)
    author = Person(user_id=dsl.pk, name=dsl.full_name, role=str(Role.DSL))
    with schema_context(school_a.schema_name):
        leaver = _leaver()
        with pytest.raises(ValidationError, match="not on roll"):
            concern_record(
                school=school_a,
                author=author,
                pupil_ids=[leaver.pk],
                category_ids=category_ids("neglect"),
                account="Seen at the gate after leaving.",
                location="",
            )
        note_record(
            pupil=leaver,
            author=author,
            occurred_at=timezone.now(),
            body="Police told us of an incident after the pupil left.",
        )
        assert ChronologyEntry.objects.filter(pupil=leaver).count() == 1
