"""Retention, legal holds and lawful destruction of a child's record (docs/rules.md, "Retention").

Destruction runs in the owner's own connection, which sees only committed rows: these tests make
a school of their own with committed records and remove it, schema, rows and files, when they end
(as tests/tenants/test_backups.py does).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguarding.models import (
    Category,
    ChronologyEntry,
    Destruction,
    Document,
    ExportJob,
    LegalHold,
    Pupil,
    PupilHistory,
    PupilSyncRun,
)
from safeguarding.permissions import Reader
from safeguarding.selectors.retention import allegation_retention_until, retention_queue
from safeguarding.services.chronology import chronology_correct, note_record
from safeguarding.services.concerns import concern_record
from safeguarding.services.documents import document_upload
from safeguarding.services.pupil_import import pupil_sync
from safeguarding.services.pupils import pupil_update
from safeguarding.services.retention import (
    destruction_approve,
    destruction_propose,
    exports_expire,
    legal_hold_lift,
    legal_hold_place,
    retention_keep,
)
from safeguarding.storage import document_storage
from tenants.db import owner_connection
from tenants.models import Domain, School, Trust
from tenants.services import school_create, trust_create
from tenants.tasks import exports_expire_task
from tests.conftest import World, school_client
from tests.safeguarding.conftest import make_pupil
from tests.safeguarding.fixtures import make_upn, with_two_factor
from trustplatform.accounts.models import Role, User
from trustplatform.accounts.services import school_membership_add, user_create
from trustplatform.audit.models import AuditAction, AuditEvent
from trustplatform.hashchain import chain_verify

SENTINELS = ("Quillwhistle", "Zephyrine", "SENTINEL-KX93", "lamppost-orchid")
PDF = b"%PDF-1.7\n% SENTINEL-KX93 lamppost-orchid\n%%EOF\n"
_serials = itertools.count(1)


@dataclass
class Setting:
    school: School
    dsl: Reader
    deputy: Reader
    head: Reader
    pupil_id: int
    other_id: int


def _reader(user: User, role: Role) -> Reader:
    return Reader(user_id=user.pk, name=user.full_name, role=role, reads_everything=True)


def _make_school(tag: str) -> Setting:
    trust = trust_create(name=f"Retention Trust {tag}", slug=f"retain-{tag}")
    school = school_create(
        trust=trust,
        name=f"Yewbarrow Primary {tag}",
        slug=f"yewbarrow-{tag}",
        urn=f"96{next(_serials):04d}",
        phase=School.Phase.PRIMARY,
    )
    readers = {}
    for role, name in (
        (Role.DSL, "Ada Marsh"),
        (Role.DEPUTY_DSL, "Cal Reed"),
        (Role.HEADTEACHER, "Dee Holt"),
    ):
        user = with_two_factor(
            user_create(email=f"{role}.yew-{tag}@example.org", full_name=name, password=None)
        )
        school_membership_add(user=user, school=school, role=role)
        readers[role] = _reader(user, role)
    author = readers[Role.DSL].person
    with schema_context(school.schema_name):
        pupil, other = (
            Pupil.objects.create(
                upn=f"Y{next(_serials):012d}",
                legal_first_name=first,
                legal_last_name=last,
                date_of_birth=born,
                sex=Pupil.Sex.FEMALE,
                year_group=6,
            )
            for first, last, born in (
                ("Zephyrine", "Quillwhistle", dt.date(1990, 4, 2)),
                ("Rowan", "Invented", dt.date(2016, 1, 9)),
            )
        )
        category = Category.objects.order_by("pk").first()
        assert category is not None
        concern_record(
            school=school,
            author=author,
            pupil_ids=[pupil.pk],
            category_ids=[category.pk],
            account="Zephyrine said SENTINEL-KX93 about the lamppost-orchid.",
            location="Playground by the lamppost-orchid",
        )
        note = note_record(
            pupil=pupil,
            author=author,
            occurred_at=timezone.now(),
            body="Spoke with Zephyrine Quillwhistle again.",
        )
        chronology_correct(
            entry=note, author=author, body="Spoke with Zephyrine, SENTINEL-KX93.", reason="typo"
        )
        document_upload(
            pupil=pupil,
            uploaded_file=SimpleUploadedFile("Zephyrine Quillwhistle.pdf", PDF),
            overview="Letter about Zephyrine Quillwhistle",
            author=author,
        )
        note_record(pupil=other, author=author, occurred_at=timezone.now(), body="Rowan is fine.")
        note_record(pupil=pupil, author=author, occurred_at=timezone.now(), body="Zephyrine last.")
    return Setting(
        school=school,
        dsl=readers[Role.DSL],
        deputy=readers[Role.DEPUTY_DSL],
        head=readers[Role.HEADTEACHER],
        pupil_id=pupil.pk,
        other_id=other.pk,
    )


def _drop_school(tag: str) -> None:
    schema = f"school_yewbarrow_{tag}"
    with owner_connection(), connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    for school in School.objects.filter(schema_name=schema):
        Domain.objects.filter(tenant=school).delete()
        school.delete()
    User.objects.filter(email__endswith=f".yew-{tag}@example.org").delete()
    Trust.objects.filter(slug=f"retain-{tag}").delete()


@pytest.fixture
def committed(
    django_db_blocker: Any, world: World, settings: SettingsWrapper, tmp_path: Path
) -> Iterator[Setting]:
    """A school of its own, its records committed, its files in this test's folder."""
    settings.SCHOOL_DOCUMENTS_ROOT = tmp_path / "documents"
    tag = f"{next(_serials)}"
    with django_db_blocker.unblock():
        try:
            yield _make_school(tag)
        finally:
            _drop_school(tag)


@contextlib.contextmanager
def _in(setting: Setting) -> Iterator[None]:
    with schema_context(setting.school.schema_name):
        yield


def _texts_holding(schema: str, token: str) -> list[str]:
    """Every table of the school's schema whose rows, any column, hold the token."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", [schema])
        for (table,) in cursor.fetchall():
            cursor.execute(
                f'SELECT count(*) FROM "{schema}"."{table}" t WHERE t::text ILIKE %s',  # noqa: S608
                [f"%{token}%"],
            )
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def _files_holding(root: Path, token: bytes) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and token in p.read_bytes()]


def _entries_of(pupil_id: int) -> list[tuple[int, str, str, str, str]]:
    return list(
        ChronologyEntry.objects.filter(pupil_id=pupil_id)
        .order_by("pk")
        .values_list("pk", "title", "body", "prev_hash", "row_hash")
    )


def _propose_and_approve(setting: Setting) -> Destruction:
    with _in(setting):
        pupil = Pupil.objects.get(pk=setting.pupil_id)
        proposal = destruction_propose(reader=setting.deputy, pupil=pupil, reason="Reviewed: ends")
        return destruction_approve(reader=setting.dsl, destruction_id=proposal.pk)


def test_destruction_erases_the_childs_text_everywhere_and_leaves_a_certificate(
    committed: Setting, settings: SettingsWrapper
) -> None:
    schema = committed.school.schema_name
    root = Path(settings.SCHOOL_DOCUMENTS_ROOT)
    with _in(committed):
        before_other = _entries_of(committed.other_id)
        entry_ids = [row[0] for row in _entries_of(committed.pupil_id)]
    assert all(_texts_holding(schema, token) for token in SENTINELS)
    assert _files_holding(root, b"SENTINEL-KX93")

    destruction = _propose_and_approve(committed)

    assert destruction.status == Destruction.Status.DESTROYED
    for token in SENTINELS:
        assert _texts_holding(schema, token) == [], token
    assert _files_holding(root, b"SENTINEL-KX93") == []
    assert _files_holding(root, b"lamppost-orchid") == []
    with _in(committed):
        # The certificate: counts and ids, who proposed and who approved, no name of the child.
        certificate = Destruction.objects.get(pk=destruction.pk)
        assert certificate.record_ids["chronology_entries"] == entry_ids
        assert certificate.counts["chronology_entries"] == len(entry_ids) == 5
        assert certificate.counts["concerns"] == 1
        assert certificate.counts["documents"] == certificate.counts["files"] == 1
        assert (certificate.proposed_by_name, certificate.approved_by_name) == (
            "Cal Reed",
            "Ada Marsh",
        )
        assert certificate.destroyed_at is not None
        # Tombstones keep their place and hashes; the other child's entries are untouched.
        assert [row[0] for row in _entries_of(committed.pupil_id)] == entry_ids
        assert all(
            row[1] == "(destroyed)" and row[2] in {"", "(destroyed)"}
            for row in _entries_of(committed.pupil_id)
        )
        assert _entries_of(committed.other_id) == before_other
        assert Document.objects.get(pupil_id=committed.pupil_id).file.name == ""
        # Verified: the chain walks through the tombstones by their links.
        assert chain_verify(ChronologyEntry, tombstones=entry_ids) is None
        # Without the certificate's say-so, the erased rows do not verify.
        assert chain_verify(ChronologyEntry, tombstones=()) is not None
    out = StringIO()
    call_command("verify_chronology", stdout=out)
    line = next(x for x in out.getvalue().splitlines() if x.startswith(schema))
    assert f"intact; 5 lawfully destroyed (destruction certificates {destruction.pk})" in line
    assert AuditEvent.objects.filter(
        action=AuditAction.RECORD_DESTROYED, target_id=str(destruction.pk)
    ).exists()


def test_destruction_removes_the_childs_history_of_mis_fields_and_keeps_the_sync_runs(
    committed: Setting,
) -> None:
    schema = committed.school.schema_name
    new_upn, mis_id = make_upn(82195), "MIS-QX7741"
    with _in(committed):
        pupil = Pupil.objects.get(pk=committed.pupil_id)
        old_upn = pupil.upn
        # Typed in on the child's page, then sent by the MIS: both kept as the child's history.
        pupil_update(pupil=pupil, actor_id=committed.dsl.user_id, upn=new_upn, mis_id=mis_id)
        run = pupil_sync(
            [{"upn": new_upn, "sen": True}, {"upn": old_upn, "sen": True}],
            actor_id=committed.dsl.user_id,
            actor_name="Office Manager",
        )
        other = Pupil.objects.get(pk=committed.other_id)
        pupil_update(pupil=other, actor_id=committed.dsl.user_id, upn=make_upn(82196), form="6B")
        history = list(
            PupilHistory.objects.filter(pupil_id=committed.pupil_id).values_list("field", "new")
        )
        other_history = list(PupilHistory.objects.filter(pupil_id=committed.other_id).values())
        report = PupilSyncRun.objects.filter(pk=run.run_id).values().get()
    assert sorted(history) == [("mis_id", mis_id), ("sen", "yes"), ("upn", new_upn)]
    assert all(_texts_holding(schema, token) for token in (old_upn, new_upn, mis_id))

    destruction = _propose_and_approve(committed)

    assert destruction.status == Destruction.Status.DESTROYED
    for token in (old_upn, new_upn, mis_id):
        assert _texts_holding(schema, token) == [], token
    with _in(committed):
        assert not PupilHistory.objects.filter(pupil_id=committed.pupil_id).exists()
        assert Pupil.objects.get(pk=committed.pupil_id).mis_id is None
        # Another child's history and the run's report (counts and reasons, no child) stay.
        assert list(PupilHistory.objects.filter(pupil_id=committed.other_id).values()) == (
            other_history
        )
        assert PupilSyncRun.objects.filter(pk=run.run_id).values().get() == report
        certificate = Destruction.objects.get(pk=destruction.pk)
        assert certificate.counts["pupil_history"] == 3
        assert len(certificate.record_ids["pupil_history"]) == 3
    # The history's append-only trigger stands again, even for the owner.
    with (
        owner_connection(),
        _in(committed),
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
    ):
        PupilHistory.objects.filter(pupil_id=committed.other_id).delete()


_DETAILS = {
    "admission_date": dt.date(2016, 9, 5),
    "sen": True,
    "ehcp": True,
    "eal": True,
    "pupil_premium": True,
    "free_school_meals": True,
    "young_carer": True,
    "looked_after": True,
    "looked_after_since": dt.date(2019, 2, 11),
    "child_protection_plan": True,
    "child_protection_plan_since": dt.date(2020, 3, 16),
    "child_in_need_plan": True,
    "child_in_need_plan_since": dt.date(2018, 6, 4),
    "early_help": True,
    "early_help_since": dt.date(2017, 10, 9),
    "transferred_in_from": "Quillbrook Invented Primary",
}


def test_destruction_leaves_a_pupil_row_that_tells_nothing_of_the_child(
    committed: Setting,
) -> None:
    with _in(committed):
        Pupil.objects.filter(pk__in=[committed.pupil_id, committed.other_id]).update(**_DETAILS)
        kept = (
            Pupil.objects.filter(pk=committed.pupil_id)
            .values("date_of_birth", "sex", "year_group", "leaving_date")
            .get()
        )

    _propose_and_approve(committed)

    with _in(committed):
        row = Pupil.objects.filter(pk=committed.pupil_id).values(*_DETAILS).get()
        after = (
            Pupil.objects.filter(pk=committed.pupil_id)
            .values("date_of_birth", "sex", "year_group", "leaving_date")
            .get()
        )
        other = Pupil.objects.filter(pk=committed.other_id).values(*_DETAILS).get()
    # Written down: nothing of the child's flags, dates or schools stays.
    assert row == {
        "admission_date": None,
        "sen": False,
        "ehcp": False,
        "eal": False,
        "pupil_premium": False,
        "free_school_meals": False,
        "young_carer": False,
        "looked_after": False,
        "looked_after_since": None,
        "child_protection_plan": False,
        "child_protection_plan_since": None,
        "child_in_need_plan": False,
        "child_in_need_plan_since": None,
        "early_help": False,
        "early_help_since": None,
        "transferred_in_from": "",
    }
    # The year of birth, sex, year group and leaving date stay (the statistics and the roll).
    assert after == kept | {"date_of_birth": dt.date(kept["date_of_birth"].year, 1, 1)}
    # Another child's row is untouched.
    assert other == _DETAILS


def test_the_same_person_cannot_propose_and_approve(committed: Setting) -> None:
    with _in(committed):
        pupil = Pupil.objects.get(pk=committed.pupil_id)
        proposal = destruction_propose(reader=committed.dsl, pupil=pupil, reason="Period ended")
        with pytest.raises(ValidationError, match="different DSL, deputy or headteacher"):
            destruction_approve(reader=committed.dsl, destruction_id=proposal.pk)
        assert Destruction.objects.get(pk=proposal.pk).status == Destruction.Status.PROPOSED
        assert "Zephyrine" in str(ChronologyEntry.objects.filter(pupil=pupil).last().body)  # type: ignore[union-attr]
        # The headteacher, a second person, may approve.
        done = destruction_approve(reader=committed.head, destruction_id=proposal.pk)
    assert done.status == Destruction.Status.DESTROYED


def test_a_legal_hold_blocks_proposing_and_approving_until_lifted(committed: Setting) -> None:
    with _in(committed):
        pupil = Pupil.objects.get(pk=committed.pupil_id)
        proposal = destruction_propose(reader=committed.deputy, pupil=pupil, reason="Ended")
        with pytest.raises(ValidationError, match="Your role may not"):
            legal_hold_place(reader=committed.deputy, pupil=pupil, reason="IICSA")
        hold = legal_hold_place(reader=committed.dsl, pupil=pupil, reason="IICSA inquiry request")
        # The waiting proposal falls with the hold, and none can be made or approved.
        assert Destruction.objects.get(pk=proposal.pk).status == Destruction.Status.WITHDRAWN
        with pytest.raises(ValidationError, match="legal hold stands"):
            destruction_propose(reader=committed.deputy, pupil=pupil, reason="Ended")
        with pytest.raises(ValidationError, match="no longer waiting"):
            destruction_approve(reader=committed.head, destruction_id=proposal.pk)
        titles = list(ChronologyEntry.objects.filter(pupil=pupil).values_list("title", flat=True))
        assert "Legal hold placed" in titles
        legal_hold_lift(reader=committed.dsl, pupil=pupil, reason="Inquiry closed")
        assert LegalHold.objects.get(pk=hold.pk).lifted_at is not None
        assert {AuditAction.LEGAL_HOLD_PLACED, AuditAction.LEGAL_HOLD_LIFTED} <= set(
            AuditEvent.objects.filter(target_id=str(pupil.pk)).values_list("action", flat=True)
        )
        again = destruction_propose(reader=committed.deputy, pupil=pupil, reason="Ended")
        assert destruction_approve(reader=committed.head, destruction_id=again.pk).status == (
            Destruction.Status.DESTROYED
        )


def test_the_database_refuses_destruction_without_a_second_persons_approval(
    committed: Setting,
) -> None:
    # A proposal forced to "approved" by its own proposer: the table and the function refuse.
    with _in(committed):
        pupil = Pupil.objects.get(pk=committed.pupil_id)
        proposal = destruction_propose(reader=committed.dsl, pupil=pupil, reason="Ended")
        with pytest.raises(DatabaseError), transaction.atomic():
            Destruction.objects.filter(pk=proposal.pk).update(approved_by_id=committed.dsl.user_id)
        # The application's role may not even call the function.
        with (
            pytest.raises(DatabaseError, match="permission denied"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT public.safeguarding_destroy_record(%s)", [proposal.pk])
    with (
        owner_connection(),
        _in(committed),
        pytest.raises(DatabaseError, match="not approved by a second person"),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT public.safeguarding_destroy_record(%s)", [proposal.pk])


def test_the_append_only_triggers_stand_again_after_a_destruction(committed: Setting) -> None:
    _propose_and_approve(committed)
    # Even the owner, who may switch triggers off, finds them on again.
    with (
        owner_connection(),
        _in(committed),
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
    ):
        ChronologyEntry.objects.filter(pupil_id=committed.other_id).update(body="changed")


def test_the_review_queue_lists_records_past_retention_and_a_keep_moves_the_review(
    committed: Setting,
) -> None:
    with _in(committed):
        queue = retention_queue()
        assert [row.pupil.pk for row in queue] == [committed.pupil_id]
        assert queue[0].due_on == dt.date(2015, 4, 2)  # born 2 April 1990, + 25 years
        pupil = Pupil.objects.get(pk=committed.pupil_id)
        with pytest.raises(ValidationError, match="after today"):
            retention_keep(
                reader=committed.dsl,
                pupil=pupil,
                reason="Open case",
                next_review_on=timezone.localdate(),
            )
        retention_keep(
            reader=committed.dsl,
            pupil=pupil,
            reason="Sibling's case still open",
            next_review_on=timezone.localdate() + dt.timedelta(days=365),
        )
        assert retention_queue() == []
        with pytest.raises(ValidationError, match="has not ended"):
            destruction_propose(reader=committed.dsl, pupil=pupil, reason="Ended")


def test_allegation_retention_is_the_later_of_pension_age_and_ten_years(
    settings: SettingsWrapper,
) -> None:
    class Alleged:
        created_at = dt.datetime(2020, 6, 1, 12, tzinfo=dt.UTC)

    until, why = allegation_retention_until(Alleged(), adult_date_of_birth=None)  # type: ignore[arg-type]
    assert until == dt.date(2030, 6, 1)
    assert "date of birth is not recorded" in why
    until, why = allegation_retention_until(Alleged(), adult_date_of_birth=dt.date(1985, 3, 1))  # type: ignore[arg-type]
    assert until == dt.date(2052, 3, 1)
    assert "pension age (67)" in why
    settings.STAFF_PENSION_AGE = 68
    until, _ = allegation_retention_until(Alleged(), adult_date_of_birth=dt.date(1960, 3, 1))  # type: ignore[arg-type]
    assert until == dt.date(2030, 6, 1)  # 68 in 2028: ten years is later


def test_export_files_are_deleted_after_their_retention_by_the_nightly_task(
    school_a: School, private_storage: Path, settings: SettingsWrapper, tasks_run_when_sent: None
) -> None:
    storage = document_storage()
    made = timezone.now() - dt.timedelta(days=settings.EXPORT_RETENTION_DAYS)
    with schema_context(school_a.schema_name):
        pupil = make_pupil("Wrenna", "Castellane")
        jobs = {}
        for label, finished_at in (
            ("old", made - dt.timedelta(hours=1)),
            ("recent", made + dt.timedelta(hours=1)),
        ):
            name = storage.save(
                f"{school_a.schema_name}/exports/{label}.pdf", SimpleUploadedFile("x", PDF)
            )
            jobs[label] = ExportJob.objects.create(
                pupil=pupil,
                version=ExportJob.Version.FULL,
                requested_by_id=1,
                requested_by_name="Ada Marsh",
                requested_by_role="dsl",
                chain_head="0" * 64,
                status=ExportJob.Status.DONE,
                finished_at=finished_at,
                file=name,
            )

    exports_expire_task.apply().get()

    with schema_context(school_a.schema_name):
        old, recent = (ExportJob.objects.get(pk=jobs[k].pk) for k in ("old", "recent"))
        assert (old.status, old.file.name) == (ExportJob.Status.EXPIRED, "")
        assert not storage.exists(jobs["old"].file.name)
        assert recent.status == ExportJob.Status.DONE and storage.exists(recent.file.name)
        assert exports_expire() == 0  # a second run finds nothing


def _old_pupil() -> Pupil:
    return Pupil.objects.create(
        upn=f"V{next(_serials):012d}",
        legal_first_name="Marigold",
        legal_last_name="Thistlecombe",
        date_of_birth=dt.date(1991, 5, 6),
        sex=Pupil.Sex.FEMALE,
        year_group=6,
    )


def test_the_proposer_asking_to_approve_is_told_another_person_must(
    world: World, school_a_entered: School
) -> None:
    dsl = world.person("a", Role.DSL)
    pupil = _old_pupil()
    proposal = destruction_propose(reader=_reader(dsl, Role.DSL), pupil=pupil, reason="Ended")
    client = school_client(school_a_entered, dsl)

    page = client.post(
        f"/retention/destructions/{proposal.pk}/approve/", {"confirmed": "yes"}, follow=True
    )

    assert "a different DSL, deputy or headteacher must approve it" in page.text
    assert Destruction.objects.get(pk=proposal.pk).status == Destruction.Status.PROPOSED


def test_approving_asks_first_on_a_page_of_its_own(world: World, school_a_entered: School) -> None:
    pupil = _old_pupil()
    proposal = destruction_propose(
        reader=_reader(world.person("a", Role.DEPUTY_DSL), Role.DEPUTY_DSL),
        pupil=pupil,
        reason="Ended",
    )
    client = school_client(school_a_entered, world.person("a", Role.HEADTEACHER))

    asked = client.post(f"/retention/destructions/{proposal.pk}/approve/")

    assert asked.status_code == 200
    assert "Yes, destroy the record" in asked.text
    assert Destruction.objects.get(pk=proposal.pk).status == Destruction.Status.PROPOSED


def test_the_queue_shows_a_due_record_to_the_dsl_and_nothing_to_staff(
    world: World, school_a_entered: School
) -> None:
    pupil = _old_pupil()
    page = school_client(school_a_entered, world.person("a", Role.DSL)).get("/retention/")
    assert page.status_code == 200
    assert "Thistlecombe" in page.text
    assert f"/retention/pupils/{pupil.pk}/" in page.text
    refused = school_client(school_a_entered, world.person("a", Role.STAFF)).get("/retention/")
    assert refused.status_code == 404


def test_a_second_person_approves_on_the_page_and_reads_the_certificate(
    committed: Setting,
) -> None:
    with _in(committed):
        pupil = Pupil.objects.get(pk=committed.pupil_id)
        proposal = destruction_propose(reader=committed.deputy, pupil=pupil, reason="Reviewed")
    head = User.objects.get(pk=committed.head.user_id)
    client = school_client(committed.school, head)

    done = client.post(
        f"/retention/destructions/{proposal.pk}/approve/", {"confirmed": "yes"}, follow=True
    )

    assert done.status_code == 200
    assert f"Destruction certificate {proposal.pk}" in done.text
    assert "Cal Reed" in done.text and "Dee Holt" in done.text  # proposed, approved
    assert "Zephyrine" not in done.text and "Quillwhistle" not in done.text
    with _in(committed):
        assert Destruction.objects.get(pk=proposal.pk).status == Destruction.Status.DESTROYED
